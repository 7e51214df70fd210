"""Yoti compatibility, the pure parts: a specification built with Yoti's own SDK read into our
overrides, what we refuse and the property named, document types and countries narrowed only, and
the request signature checked as the SDK makes it (its own Crypto signs)."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from identity_app.services.api import yoti_signing, yoti_spec
from identity_app.services.api.yoti_spec import Restriction, SpecError

doc_scan = pytest.importorskip("yoti_python_sdk.doc_scan")
from yoti_python_sdk.crypto import Crypto  # noqa: E402
from yoti_python_sdk.doc_scan.session.create.filter import (  # noqa: E402
    OrthogonalRestrictionsFilterBuilder, RequiredIdDocumentBuilder)
from yoti_python_sdk.utils import YotiEncoder  # noqa: E402


def _sdk_spec() -> dict:
    d = doc_scan
    documents = (OrthogonalRestrictionsFilterBuilder().with_whitelisted_document_types(["PASSPORT", "NATIONAL_ID"])
                 .with_blacklisted_country_codes(["FRA", "DEU"]).build())
    spec = (d.SessionSpecBuilder().with_client_session_token_ttl(90000).with_user_tracking_id("crm-9")
            .with_requested_check(d.RequestedDocumentAuthenticityCheckBuilder().build())
            .with_requested_check(d.RequestedLivenessCheckBuilder().for_zoom_liveness().with_max_retries(2).build())
            .with_requested_check(d.RequestedFaceMatchCheckBuilder().with_manual_check_always().build())
            .with_requested_task(d.RequestedTextExtractionTaskBuilder().with_manual_check_fallback()
                                 .with_chip_data_desired().build())
            .with_required_document(RequiredIdDocumentBuilder().with_filter(documents).build())
            .with_sdk_config(d.SdkConfigBuilder().with_allows_camera().with_success_url("https://x.example/ok").build())
            .with_notifications(d.NotificationConfigBuilder().with_endpoint("https://x.example/hook")
                                .with_auth_token("abc").with_bearer_auth_type().for_session_completion().build())
            .with_session_deadline(None).build())
    return json.loads(json.dumps(spec, cls=YotiEncoder))


def test_a_specification_built_by_the_sdk_becomes_our_overrides():
    read = yoti_spec.parse(_sdk_spec())
    o = read.overrides
    assert (o.document_authenticity, o.liveness, o.face_match, o.text_extraction) == (True, True, True, True)
    assert (o.liveness_max_retries, o.face_match_manual_check, o.text_extraction_manual_check) == (2, "ALWAYS",
                                                                                                   "FALLBACK")
    assert (o.camera_only, o.success_url, o.session_lifetime_days) == (True, "https://x.example/ok", 2)
    assert read.reference == "crm-9" and read.ttl_seconds == 90000
    assert read.document_types == Restriction("WHITELIST", ("PASSPORT", "NATIONAL_ID"))
    assert read.countries == Restriction("BLACKLIST", ("FRA", "DEU"))
    assert read.notifications.topics == ("SESSION_COMPLETION",)
    assert read.notifications.authorization == "Bearer abc"


@pytest.mark.parametrize("spec, prop", [
    ({"requested_checks": [{"type": "WATCHLIST_SCREENING"}]}, "requested_checks[0].type"),
    ({"requested_checks": [{"type": "LIVENESS", "config": {"liveness_type": "VIDEO"}}]},
     "requested_checks[0].config.liveness_type"),
    ({"requested_tasks": [{"type": "SUPPLEMENTARY_DOCUMENT_TEXT_DATA_EXTRACTION"}]}, "requested_tasks[0].type"),
    ({"client_session_token_ttl": 5}, "client_session_token_ttl"),
    ({"notifications": {"topics": ["SESSION_COMPLETION"]}}, "notifications.endpoint"),
    ({"identity_profile_requirements": {"trust_framework": "UK_TFIDA"}}, "identity_profile_requirements"),
    ({"user_tracking_id": "a\x00b"}, "user_tracking_id"),
    ({"session_deadline": "tomorrow"}, "session_deadline"),
    ({"required_documents": [{"type": "SUPPLEMENTARY_DOCUMENT"}]}, "required_documents[0].type"),
])
def test_what_we_cannot_do_is_refused_naming_its_property(spec, prop):
    with pytest.raises(SpecError) as refused:
        yoti_spec.parse(spec)
    assert refused.value.property == prop


def test_document_types_and_countries_are_only_ever_narrowed():
    mine = ("PASSPORT", "DRIVING_LICENCE")
    assert yoti_spec.resolve_types(mine, None) is None
    assert yoti_spec.resolve_types(mine, Restriction("WHITELIST", ("PASSPORT", "NATIONAL_ID"))) == ("PASSPORT",)
    assert yoti_spec.resolve_types(mine, Restriction("BLACKLIST", ("PASSPORT",))) == ("DRIVING_LICENCE",)
    with pytest.raises(SpecError):
        yoti_spec.resolve_types(mine, Restriction("WHITELIST", ("NATIONAL_ID",)))
    narrow = yoti_spec.narrow_countries
    assert narrow("ALLOW_ALL", (), Restriction("WHITELIST", ("GBR",))) == ("ALLOW", ("GBR",))
    assert narrow("ALLOW_ALL", (), Restriction("BLACKLIST", ("FRA",))) == ("DENY", ("FRA",))
    assert narrow("ALLOW", ("GBR", "IRL"), Restriction("WHITELIST", ("IRL", "USA"))) == ("ALLOW", ("IRL",))
    assert narrow("ALLOW", ("GBR", "IRL"), Restriction("BLACKLIST", ("IRL",))) == ("ALLOW", ("GBR",))
    assert narrow("DENY", ("FRA",), Restriction("WHITELIST", ("FRA", "ESP"))) == ("ALLOW", ("ESP",))
    assert narrow("DENY", ("FRA",), Restriction("BLACKLIST", ("DEU",))) == ("DENY", ("DEU", "FRA"))
    for mode, countries, r in (("ALLOW", ("GBR",), Restriction("WHITELIST", ("FRA",))),
                               ("DENY", ("FRA",), Restriction("WHITELIST", ("FRA",))),
                               ("ALLOW_ALL", (), Restriction("WHITELIST", ("GB",)))):
        with pytest.raises(SpecError):
            narrow(mode, countries, r)


def _key_pair() -> tuple[Crypto, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return Crypto(pem), public


def test_a_signature_made_by_the_sdks_crypto_verifies_with_the_public_half_only():
    crypto, public = _key_pair()
    _, other_public = _key_pair()
    query = "sdkId=abc&nonce=n-1&timestamp=1795990000000"
    body = b'{"user_tracking_id": "x"}'
    digest = crypto.sign("POST&/sessions?" + query + "&" + base64.b64encode(body).decode())
    signed = yoti_signing.SignedRequest("POST", "/sessions", query, body, digest)
    assert yoti_signing.signature_valid(public, signed)
    assert not yoti_signing.signature_valid(other_public, signed)
    for forged in (signed.__class__("POST", "/sessions/1", query, body, digest),
                   signed.__class__("POST", "/sessions", query.replace("n-1", "n-2"), body, digest),
                   signed.__class__("POST", "/sessions", query, body + b" ", digest),
                   signed.__class__("GET", "/sessions", query, body, digest),
                   signed.__class__("POST", "/sessions", query, body, "not base64!"),
                   signed.__class__("POST", "/sessions", query, body, "")):
        assert not yoti_signing.signature_valid(public, forged)
    bodiless = yoti_signing.SignedRequest("GET", "/sessions/1", query, b"", crypto.sign("GET&/sessions/1?" + query))
    assert yoti_signing.signature_valid(public, bodiless)


def test_timestamps_in_milliseconds_seconds_and_microseconds_are_told_apart():
    ms = yoti_signing.timestamp_of("1795990000000")
    assert ms is not None and ms == yoti_signing.timestamp_of("1795990000") == yoti_signing.timestamp_of(
        "1795990000000000")
    for bad in ("", "-1", "1e9", "9" * 30, "12.5"):
        assert yoti_signing.timestamp_of(bad) is None


def test_refusals_have_yoti_statuses_and_shape():
    from identity_app.services.api.keys import RateLimited
    from identity_app.services.errors import Conflict, NotFound, NotSignedIn, ValidationError
    from identity_app.storage import StorageError
    from identity_app.web.yoti_compat import BodyTooLarge, refusal

    answers = {type(e).__name__: refusal(e) for e in (
        RateLimited(7), yoti_signing.BadSignature(), NotSignedIn(), NotFound("secret detail"), Conflict("c"),
        SpecError("requested_checks[0].type", "no"), BodyTooLarge(), ValidationError("v"), StorageError("s3 down"))}
    assert {k: r.status_code for k, r in answers.items()} == {
        "RateLimited": 429, "BadSignature": 401, "NotSignedIn": 401, "NotFound": 404, "Conflict": 409,
        "SpecError": 400, "BodyTooLarge": 413, "ValidationError": 400, "StorageError": 503}
    assert answers["RateLimited"].headers["retry-after"] == "7"
    assert json.loads(answers["NotFound"].body) == {"code": "NOT_FOUND", "message": "Not found"}  # says nothing more
    assert json.loads(answers["SpecError"].body)["errors"] == [{"property": "requested_checks[0].type",
                                                                 "message": "no"}]
    assert "s3" not in answers["StorageError"].body.decode()
