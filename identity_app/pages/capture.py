"""The end user's capture flow at /s/[token]: one page, one step at a time,
phone-first (it fills a 390 px screen and centres in a card on desktops)."""
from __future__ import annotations

import reflex as rx

from identity_app.components.camera import camera_view, live_text
from identity_app.components.layout import error_callout
from identity_app.state.capture import CaptureState as S
from identity_app.state.capture_document import CaptureDocumentState as D
from identity_app.state.capture_liveness import CaptureLivenessState as L
from identity_app.state.capture_start import CaptureStartState as Start


def _frame(*children: rx.Component) -> rx.Component:
    return rx.box(
        # A plain async script (React 19 hoists and loads it), not rx.script: that one wraps it in
        # Helmet, a chunk the page's own chunk imports, fetched only once that one arrives, which held
        # the first content back by a round trip on a slow phone (tests/browser/test_capture_page_weight.py).
        rx.el.script(src="/capture.js", async_=True),
        # The application's branding: its two colours in the band, its logo (else its name) on top.
        rx.box(height="6px", width="100%", id="idv-band",
               background="linear-gradient(90deg, " + S.primary_colour + " 0%, " + S.primary_colour + " 60%, "
               + S.secondary_colour + " 60%, " + S.secondary_colour + " 100%)"),
        rx.center(
            rx.vstack(
                rx.cond(S.logo_url != "",
                        rx.el.img(src=S.logo_url, alt=S.app_name, id="idv-logo",
                                  style={"max_height": "48px", "max_width": "60%", "object_fit": "contain"}),
                        rx.text(S.app_name, weight="bold", size="3", color=S.primary_colour)),
                rx.cond(Start.in_app, _in_app_banner()),
                *children,
                spacing="4",
                width="100%",
                max_width="34rem",
                padding="1.25rem",
                background="white",
                border_radius="12px",
                box_shadow="0 1px 3px rgba(0,0,0,0.08)",
            ),
            padding_x=["0", "1rem"],
            padding_y=["0", "2rem"],
        ),
        min_height="100vh",
        background="var(--gray-2)",
        lang=S.t["lang"],
        style={"& h1": {"color": S.secondary_colour}},  # the secondary colour titles every step
    )


def _button(label, on_click, **props) -> rx.Component:
    return rx.button(label, on_click=on_click, size="3", width="100%",
                     style={"background": S.primary_colour}, **props)


def _in_app_banner() -> rx.Component:
    return rx.callout.root(
        rx.callout.text(rx.text(S.t["inapp_title"], weight="bold"), rx.text(S.t["inapp_body"])),
        rx.code(Start.link, id="idv-link", word_break="break-all"),
        rx.button(S.t["copy_link"], variant="soft",
                  on_click=rx.call_script(f"idvCapture.copyLink(document.getElementById('idv-link').innerText)")),
        color_scheme="amber", role="alert", width="100%",
    )


def _handoff() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["handoff_title"], size="4", as_="h2"),
        rx.text(S.t["handoff_body"]),
        rx.image(src=Start.qr, alt="QR code of this link", width="180px", height="180px"),
        rx.code(Start.link, word_break="break-all", size="1"),
        spacing="2",
        align="center",
        width="100%",
        id="idv-handoff",
    )


def _camera_problem() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.match(S.camera_state, ("denied", S.t["camera_denied"]), ("insecure", S.t["camera_insecure"]),
                     S.t["camera_absent"]),
            icon="camera_off", color_scheme="orange", role="alert", width="100%",
        ),
        rx.button(S.t["camera_retry"], on_click=Start.retry_camera, variant="outline", width="100%"),
        _handoff(),
        spacing="3",
        width="100%",
    )


def _closed() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["closed_title"], size="6", as_="h1"),
        rx.text(S.t["closed_body"]),
        spacing="3",
    )


def _welcome() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["welcome_title"], size="6", as_="h1"),
        rx.text(S.t["welcome_body"]),
        rx.el.ol(
            rx.el.li(S.t["step_document"]),
            rx.el.li(S.t["step_liveness"]),
            rx.el.li(S.t["step_result"]),
            style={"paddingLeft": "1.2rem", "lineHeight": "1.6", "listStyleType": "decimal"},  # the reset hid the numbers
        ),
        rx.cond(Start.privacy_url != "", rx.link(S.t["privacy_link"], href=Start.privacy_url, is_external=True)),
        rx.el.label(
            rx.hstack(
                rx.checkbox(id="idv-consent", checked=Start.consent_checked, on_change=Start.set_consent, size="3"),
                rx.text(S.t["consent_label"], size="2"),
                align="start",
                spacing="2",
            ),
        ),
        error_callout(S.error),
        _button(S.t["start"], Start.accept),
        spacing="4",
        width="100%",
    )


def _camera() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["camera_title"], size="6", as_="h1"),
        rx.cond(
            S.camera_state == "checking",
            rx.hstack(rx.spinner(), rx.text(S.t["camera_checking"])),
            _camera_problem(),
        ),
        error_callout(S.error),
        spacing="4",
        width="100%",
    )


def _doc_choice() -> rx.Component:
    return rx.vstack(
        rx.el.label(S.t["document_type"], html_for="idv-doc-type", font_weight="500"),
        rx.el.select(
            rx.foreach(D.doc_types, lambda d: rx.el.option(D.doc_type_labels[d], value=d)),
            id="idv-doc-type", value=D.doc_type, on_change=D.choose_doc_type,
            style={"width": "100%", "padding": "0.5rem", "borderRadius": "6px", "border": "1px solid #ccc"},
        ),
        rx.cond(
            D.country_needed,
            rx.vstack(
                rx.el.label(S.t["document_country"], html_for="idv-country", font_weight="500"),
                rx.input(id="idv-country", value=D.country, on_change=D.set_country,
                         placeholder=S.t["country_placeholder"], max_length=3, width="100%"),
                spacing="1", width="100%",
            ),
        ),
        spacing="1",
        width="100%",
    )


def _upload() -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.cond(S.camera_state == "ok", S.t["upload_instead"], S.t["upload_label"]),
                    html_for="idv-file", font_weight="500"),
        rx.el.input(id="idv-file", type="file", accept="image/jpeg,image/png,image/webp"),
        rx.button(S.t["upload_button"], on_click=D.upload, variant="outline", width="100%", loading=S.busy),
        spacing="2",
        width="100%",
    )


def _document() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["document_title"], size="6", as_="h1"),
        rx.cond(D.side == "FRONT", _doc_choice()),
        rx.text(rx.cond(D.side == "FRONT", S.t["document_front"], S.t["document_back"])),
        rx.cond(
            S.camera_state == "ok",
            rx.vstack(
                camera_view("card"),
                live_text("idv-feedback", weight="medium"),
                _button(S.t["take_photo"], D.take_photo, loading=S.busy, id="idv-take"),
                spacing="2", width="100%",
            ),
            _camera_problem(),
        ),
        error_callout(S.error),
        rx.cond(D.upload_allowed, _upload()),
        spacing="3",
        width="100%",
    )


def _liveness() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["liveness_title"], size="6", as_="h1"),
        rx.text(S.t["liveness_intro"]),
        camera_view("oval", mirrored=True),
        rx.hstack(
            # "1 / 2" and the seconds left stay on one line each, beside an instruction that wraps (390 px).
            rx.vstack(live_text("idv-step-count", color_scheme="gray", white_space="nowrap"),
                      live_text("idv-countdown", color_scheme="gray", size="2", white_space="nowrap",
                                aria_live="off",  # read out every second, it would drown the instruction
                                # the last 3 seconds (capture.js sets data-tone="warn") stand out
                                style={"&[data-tone='warn']": {"color": "var(--red-11)", "fontWeight": "600"}}),
                      spacing="0", flex_shrink="0", align="start"),
            live_text("idv-instruction", size="5", weight="bold", flex="1", min_width="0"),
            spacing="3", width="100%", align="start",
        ),
        live_text("idv-face", color_scheme="orange"),
        error_callout(S.error),
        _button(S.t["liveness_start"], L.start_liveness, loading=S.busy, disabled=S.busy),
        spacing="3",
        width="100%",
    )


def _liveness_failed() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["liveness_title"], size="6", as_="h1"),
        rx.callout(L.liveness_message, icon="triangle_alert", color_scheme="orange", role="alert", width="100%"),
        rx.cond(
            L.attempts_left > 0,
            _button(S.t["liveness_retry"].replace("{left}", L.attempts_left.to_string()), L.retry_liveness),
            rx.vstack(rx.text(S.t["liveness_no_more"]), _button(S.t["continue"], L.give_up_liveness), width="100%"),
        ),
        spacing="4",
        width="100%",
    )


def _checking() -> rx.Component:
    return rx.cond(
        S.under_review,
        # A person reviews part of it: no spinner promising a minute, the page may be closed.
        rx.vstack(
            rx.heading(S.t["review_title"], size="6", as_="h1"),
            rx.text(S.t["review_body"], id="idv-review"),
            spacing="4",
        ),
        rx.vstack(
            rx.heading(S.t["checking_title"], size="6", as_="h1"),
            rx.hstack(rx.spinner(size="3"), rx.text(S.t["checking_body"])),
            error_callout(S.error),
            spacing="4",
        ),
    )


def _done() -> rx.Component:
    return rx.vstack(
        rx.heading(S.t["done_title"], size="6", as_="h1"),
        rx.text(S.t["done_body"]),
        spacing="3",
    )


def capture_page() -> rx.Component:
    return _frame(
        rx.match(
            S.step,
            ("closed", _closed()),
            ("welcome", _welcome()),
            ("camera", _camera()),
            ("document", _document()),
            ("liveness", _liveness()),
            ("liveness_failed", _liveness_failed()),
            ("checking", _checking()),
            ("done", _done()),
            rx.center(rx.spinner(size="3"), padding="3rem"),
        )
    )
