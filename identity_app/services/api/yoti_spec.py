"""Yoti compatibility: a Yoti session specification (the JSON its SDKs POST to /sessions) read into
what our sessions can do. Pure: no database.

Requested checks and tasks become the overrides a session may ask of its application
(services/applications/overrides.py: only ever less or stricter). Whatever the spec asks that we
cannot do, or cannot do as asked, is refused with the property it came from, never ignored in
silence; what only changes Yoti's own screens (colours, fonts, hand-off, brand) is ignored."""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from identity_app.checks.report import CheckType
from identity_app.models import TaskType
from identity_app.services.api.yoti_notifications import YotiTopic
from identity_app.services.applications.checks_config import DOCUMENT_TYPES
from identity_app.services.applications.overrides import SessionOverrides
from identity_app.services.errors import ValidationError

MIN_TTL_S = 60
MAX_REFERENCE = 200
MAX_AUTH_TOKEN = 200  # sealed, the Authorization header must fit the delivery's 512 characters
LIVENESS_TYPES = ("ZOOM", "STATIC")  # either runs the application's own liveness (ACTIVE or PASSIVE)
UNSUPPORTED = ("identity_profile_requirements", "advanced_identity_profile_requirements", "ibv_options",
               "import_token", "create_identity_profile_preview")


class SpecError(ValidationError):
    """A part of the specification we refuse; `property` is its path, as Yoti's errors name it."""

    def __init__(self, prop: str, message: str) -> None:
        self.property = prop
        super().__init__(message)


@dataclass(frozen=True)
class Restriction:
    """A document filter's list: WHITELIST (only these) or BLACKLIST (all but these)."""

    inclusion: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Notifications:
    endpoint: str
    topics: tuple[str, ...]        # YotiTopic values
    authorization: str | None      # the Authorization header the receiver gets


@dataclass(frozen=True)
class YotiSessionRequest:
    overrides: SessionOverrides    # accepted document types are resolved against the application
    document_types: Restriction | None
    countries: Restriction | None
    reference: str
    ttl_seconds: int | None
    deadline: datetime | None
    notifications: Notifications | None


def _obj(value: Any, prop: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(prop, "must be an object")
    return value


def _list(value: Any, prop: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpecError(prop, "must be an array")
    return value


def _str(value: Any, prop: str, limit: int = 2000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise SpecError(prop, f"must be text of at most {limit} printable characters")
    return value.strip()


def _int(value: Any, prop: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(prop, f"must be a whole number from {low} to {high}")
    return value


def _manual(config: Mapping[str, Any], prop: str) -> str | None:
    value = config.get("manual_check")
    if value is None:
        return None
    if value not in ("ALWAYS", "FALLBACK", "NEVER"):
        raise SpecError(prop + ".manual_check", "must be ALWAYS, FALLBACK or NEVER")
    return str(value)


def _no_review(config: Mapping[str, Any], prop: str, name: str) -> None:
    if _manual(config, prop) not in (None, "NEVER"):
        raise SpecError(prop + ".manual_check", f"{name} has no manual check here: send NEVER or leave it out")


@dataclass
class _Checks:
    authenticity: bool = False
    liveness: bool = False
    face_match: bool = False
    text: bool = False
    retries: int | None = None
    face_review: str | None = None
    text_review: str | None = None


def _read_checks(spec: Mapping[str, Any]) -> _Checks:
    out = _Checks()
    for i, item in enumerate(_list(spec.get("requested_checks"), "requested_checks")):
        prop = f"requested_checks[{i}]"
        item = _obj(item, prop)
        kind, config = item.get("type"), _obj(item.get("config"), prop + ".config")
        if kind == CheckType.ID_DOCUMENT_AUTHENTICITY:
            _no_review(config, prop + ".config", "ID_DOCUMENT_AUTHENTICITY")
            out.authenticity = True
        elif kind == CheckType.LIVENESS:
            if config.get("liveness_type") not in (None, *LIVENESS_TYPES):
                raise SpecError(prop + ".config.liveness_type", "must be ZOOM or STATIC")
            _no_review(config, prop + ".config", "LIVENESS")
            out.liveness = True
            out.retries = _int(config.get("max_retries"), prop + ".config.max_retries", 1, 10)
        elif kind == CheckType.ID_DOCUMENT_FACE_MATCH:
            out.face_match, out.face_review = True, _manual(config, prop + ".config")
        elif kind == CheckType.ID_DOCUMENT_TEXT_DATA_CHECK:
            out.text, out.text_review = True, _manual(config, prop + ".config") or out.text_review
        else:
            raise SpecError(prop + ".type", f"{kind!r} is not a check this service runs")
    for i, item in enumerate(_list(spec.get("requested_tasks"), "requested_tasks")):
        prop = f"requested_tasks[{i}]"
        item = _obj(item, prop)
        if item.get("type") != TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION:
            raise SpecError(prop + ".type", f"{item.get('type')!r} is not a task this service runs")
        # chip_data DESIRED is a wish, not a requirement: we read the printed page and the MRZ.
        out.text, out.text_review = True, _manual(_obj(item.get("config"), prop + ".config"), prop + ".config")
    return out


def _restriction(raw: Any, prop: str, key: str) -> Restriction | None:
    raw = _obj(raw, prop)
    if not raw:
        return None
    inclusion = raw.get("inclusion")
    if inclusion not in ("WHITELIST", "BLACKLIST"):
        raise SpecError(prop + ".inclusion", "must be WHITELIST or BLACKLIST")
    values = tuple(_str(v, f"{prop}.{key}", 40).upper() for v in _list(raw.get(key), f"{prop}.{key}"))
    return Restriction(str(inclusion), values) if values else None


def _read_documents(spec: Mapping[str, Any]) -> tuple[Restriction | None, Restriction | None]:
    """(document types, countries) from required_documents: one ID document filter at most, each
    list expressible as our application's settings (types, and countries, each allowed or denied)."""
    found: tuple[Restriction | None, Restriction | None] = (None, None)
    filters = 0
    for i, item in enumerate(_list(spec.get("required_documents"), "required_documents")):
        prop = f"required_documents[{i}]"
        item = _obj(item, prop)
        if item.get("type") != "ID_DOCUMENT":
            raise SpecError(prop + ".type", "only ID_DOCUMENT is supported")
        flt = _obj(item.get("filter"), prop + ".filter")
        if not flt:
            continue
        filters += 1
        if filters > 1:
            raise SpecError(prop + ".filter", "one document filter at most")
        if flt.get("type") == "ORTHOGONAL_RESTRICTIONS":
            found = (_restriction(flt.get("type_restriction"), prop + ".filter.type_restriction", "document_types"),
                     _restriction(flt.get("country_restriction"), prop + ".filter.country_restriction",
                                  "country_codes"))
        elif flt.get("type") == "DOCUMENT_RESTRICTIONS":
            found = _document_restrictions(flt, prop + ".filter")
        else:
            raise SpecError(prop + ".filter.type", "must be ORTHOGONAL_RESTRICTIONS or DOCUMENT_RESTRICTIONS")
    types = found[0]
    if types is not None and any(t not in DOCUMENT_TYPES for t in types.values):
        raise SpecError("required_documents", "document types are " + ", ".join(DOCUMENT_TYPES))
    return found


def _document_restrictions(flt: Mapping[str, Any], prop: str) -> tuple[Restriction | None, Restriction | None]:
    """Pairs of (countries, types) fit our settings when a whitelist has one pair, or a blacklist's
    entries each name only types or only countries."""
    inclusion = flt.get("inclusion")
    if inclusion not in ("WHITELIST", "BLACKLIST"):
        raise SpecError(prop + ".inclusion", "must be WHITELIST or BLACKLIST")
    docs = [_obj(d, f"{prop}.documents[{i}]") for i, d in enumerate(_list(flt.get("documents"), prop + ".documents"))]
    types = [str(t).upper() for d in docs for t in _list(d.get("document_types"), prop + ".documents")]
    countries = [str(c).upper() for d in docs for c in _list(d.get("country_codes"), prop + ".documents")]
    mixed = any(d.get("document_types") and d.get("country_codes") for d in docs)
    if (inclusion == "WHITELIST" and len(docs) > 1) or (inclusion == "BLACKLIST" and mixed):
        raise SpecError(prop + ".documents", "combinations of country and document type are not supported: "
                                             "use ORTHOGONAL_RESTRICTIONS")
    return (Restriction(str(inclusion), tuple(types)) if types else None,
            Restriction(str(inclusion), tuple(countries)) if countries else None)


def _read_notifications(spec: Mapping[str, Any]) -> Notifications | None:
    raw = _obj(spec.get("notifications"), "notifications")
    if not raw:
        return None
    endpoint = _str(raw.get("endpoint"), "notifications.endpoint")
    if not endpoint:
        raise SpecError("notifications.endpoint", "is required")
    asked = {str(t).upper() for t in _list(raw.get("topics"), "notifications.topics")}
    # Topics of Yoti features we do not have (e.g. IBV emails) would never be sent: they are left out.
    topics = tuple(t.value for t in YotiTopic if t.value in asked or not asked)
    token = _str(raw.get("auth_token"), "notifications.auth_token", MAX_AUTH_TOKEN)
    auth_type = raw.get("auth_type") or "BASIC"
    if auth_type not in ("BASIC", "BEARER"):
        raise SpecError("notifications.auth_type", "must be BASIC or BEARER")
    if not token:
        authorization = None
    elif auth_type == "BEARER":
        authorization = f"Bearer {token}"
    else:  # Yoti sends the token base64-encoded, e.g. "username:password"
        authorization = "Basic " + base64.b64encode(token.encode()).decode()
    return Notifications(endpoint, topics, authorization)


def _deadline(value: Any) -> datetime | None:
    text = _str(value, "session_deadline", 40)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SpecError("session_deadline", "must be an ISO 8601 time with its zone") from None
    if when.tzinfo is None:
        raise SpecError("session_deadline", "must be an ISO 8601 time with its zone")
    return when.astimezone(timezone.utc)


def _sdk_config(spec: Mapping[str, Any]) -> dict[str, Any]:
    sdk = _obj(spec.get("sdk_config"), "sdk_config")
    methods = sdk.get("allowed_capture_methods")
    if methods not in (None, "CAMERA", "CAMERA_AND_UPLOAD"):
        raise SpecError("sdk_config.allowed_capture_methods", "must be CAMERA or CAMERA_AND_UPLOAD")
    success = _str(sdk.get("success_url"), "sdk_config.success_url")
    error = _str(sdk.get("error_url"), "sdk_config.error_url")
    # CAMERA_AND_UPLOAD asks for nothing more than the application allows: its own setting stays.
    return {"camera_only": True if methods == "CAMERA" else None,
            "success_url": success or None, "error_url": error or None}


def parse(spec: Any) -> YotiSessionRequest:
    """The specification read, or SpecError naming the property it refuses."""
    if not isinstance(spec, Mapping):
        raise SpecError("body", "must be a JSON object (a session specification)")
    for name in UNSUPPORTED:
        if spec.get(name):
            raise SpecError(name, "is not supported by this service")
    checks = _read_checks(spec)
    ttl = _int(spec.get("client_session_token_ttl"), "client_session_token_ttl", MIN_TTL_S, 10 * 365 * 86400)
    types, countries = _read_documents(spec)
    overrides = SessionOverrides(
        document_authenticity=checks.authenticity, liveness=checks.liveness, face_match=checks.face_match,
        text_extraction=checks.text, liveness_max_retries=checks.retries,
        face_match_manual_check=checks.face_review, text_extraction_manual_check=checks.text_review,
        session_lifetime_days=math.ceil(ttl / 86400) if ttl else None, **_sdk_config(spec))
    return YotiSessionRequest(
        overrides=overrides, document_types=types, countries=countries,
        reference=_str(spec.get("user_tracking_id"), "user_tracking_id", MAX_REFERENCE),
        ttl_seconds=ttl, deadline=_deadline(spec.get("session_deadline")),
        notifications=_read_notifications(spec))


def resolve_types(accepted: tuple[str, ...], restriction: Restriction | None) -> tuple[str, ...] | None:
    """The application's accepted document types narrowed by the spec's type list (None: unchanged)."""
    if restriction is None:
        return None
    keep = tuple(t for t in accepted if (t in restriction.values) == (restriction.inclusion == "WHITELIST"))
    if not keep:
        raise SpecError("required_documents", "leaves none of the application's document types: "
                                              + ", ".join(accepted))
    return keep


def narrow_countries(mode: str, countries: tuple[str, ...],
                     restriction: Restriction | None) -> tuple[str, tuple[str, ...]]:
    """The application's country setting (ALLOW_ALL, ALLOW a list, DENY a list) narrowed by the
    spec's country list: the session accepts a country only if both accept it."""
    if restriction is None:
        return mode, countries
    asked = set(restriction.values)
    if any(len(c) != 3 or not c.isalpha() for c in asked):
        raise SpecError("required_documents", "country codes are ISO 3166-1 alpha-3 (e.g. GBR)")
    allow = restriction.inclusion == "WHITELIST"
    if mode == "ALLOW_ALL":
        return ("ALLOW" if allow else "DENY"), tuple(sorted(asked))
    if mode == "DENY" and not allow:
        return "DENY", tuple(sorted(asked | set(countries)))
    mine = set(countries)
    if mode == "ALLOW":
        keep = mine & asked if allow else mine - asked
    else:  # DENY, and the spec lists the only countries it accepts
        keep = asked - mine
    if not keep:
        raise SpecError("required_documents", "leaves no country the application accepts")
    return "ALLOW", tuple(sorted(keep))
