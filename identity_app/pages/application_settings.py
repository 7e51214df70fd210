"""An application's settings tab: details and logo, requested checks, preferences, activation."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.checks.report import CheckType
from identity_app.components.app_tabs import app_tabs
from identity_app.components.layout import console_shell, feedback, page_feedback
from identity_app.services.applications.checks_config import DOCUMENT_TYPE_LABELS, DOCUMENT_TYPES
from identity_app.state.application_settings import AppSettingsState as S

# The application's settings as the service gives them (shown once loaded).
A = S.settings
D, C, P = A.checks.document_authenticity, A.checks, A.preferences

MANUAL = [("ALWAYS", "Always: a person reviews every result"),
          ("FALLBACK", "Fallback: a person reviews what is not approved automatically"),
          ("NEVER", "Never: automated only")]


def field(label: str, name: str, control: rx.Component, hint: str = "") -> rx.Component:
    parts = [rx.el.label(label, html_for=name, font_size="0.9rem", font_weight="500"), control]
    if hint:
        parts.append(rx.text(hint, size="1", color_scheme="gray"))
    return rx.vstack(*parts, spacing="1", width="100%")


def text_input(label: str, name: str, value: rx.Var, type_: str = "text", hint: str = "", **props) -> rx.Component:
    return field(label, name, rx.input(id=name, name=name, type=type_, default_value=value, width="100%",
                                       disabled=~S.can_manage, **props), hint)


def select(label: str, name: str, items: list[tuple[str, str]] | rx.Var, value: rx.Var) -> rx.Component:
    if isinstance(items, rx.Var):  # [value, words] pairs
        options = rx.foreach(items, lambda v: rx.el.option(v[1], value=v[0]))
    else:
        options = [rx.el.option(text, value=v) for v, text in items]
    return field(label, name, rx.el.select(options, id=name, name=name, default_value=value,
                                           disabled=~S.can_manage,
                                           style={"padding": "0.4rem", "border": "1px solid var(--gray-7)",
                                                  "border_radius": "6px", "width": "100%"}))


def checkbox(label: str, name: str, checked: rx.Var) -> rx.Component:
    return rx.el.label(rx.checkbox(name=name, id=name, default_checked=checked, disabled=~S.can_manage), label,
                       style={"display": "flex", "gap": "0.4rem", "align_items": "center"})


def save_button(label: str, at: str) -> rx.Component:
    """The form's button, with the answer to it right beside it (not at the page's top, out of view)."""
    return rx.vstack(rx.cond(S.can_manage, rx.button(label, type="submit")), feedback(S, at), spacing="2",
                     width="100%")


def _details() -> rx.Component:
    return rx.card(
        rx.heading("Details", size="4", margin_bottom="0.5rem", as_="h2"),
        rx.form(
            rx.vstack(
                text_input("Name", "name", A.name, required=True),
                text_input("Description", "description", A.description),
                save_button("Save details", "details"),
                spacing="3", width="100%",
            ),
            on_submit=S.save_details, key=S.form_key.to_string() + "-details",
        ),
        rx.divider(margin_y="1rem"),
        rx.heading("Logo", size="3", margin_bottom="0.5rem", as_="h3"),
        rx.hstack(
            rx.cond(A.has_logo, rx.image(src=S.logo_url, alt="Application logo", max_height="64px", id="app-logo"),
                    rx.text("No logo yet.", color_scheme="gray", size="2")),
            rx.cond(S.can_manage, rx.hstack(
                rx.upload(rx.text(rx.cond(rx.selected_files("logo_upload").length() > 0,
                                          rx.selected_files("logo_upload")[0], "PNG, JPEG or WebP, 2 MB at most"),
                                  size="2"),
                          id="logo_upload", max_files=1, multiple=False,
                          accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]},
                          border="1px dashed var(--gray-7)", padding="0.6rem", border_radius="6px"),
                rx.button("Upload logo", variant="soft", on_click=S.upload_logo(rx.upload_files(upload_id="logo_upload"))),
                rx.cond(A.has_logo, rx.button("Remove logo", variant="ghost", color_scheme="red",
                                              on_click=S.remove_logo)),
                align="center", wrap="wrap",
            )),
            align="center", spacing="4", wrap="wrap",
        ),
        rx.box(feedback(S, "logo"), margin_top="0.5rem"),
        width="100%",
    )


def _checks() -> rx.Component:
    return rx.card(
        rx.heading("Requested checks", size="4", as_="h2"),
        rx.text("Changes apply to sessions created afterwards; a session keeps the configuration it was created with.",
                size="2", color_scheme="gray", margin_bottom="0.5rem"),
        rx.form(
            rx.vstack(
                rx.heading(CheckType.ID_DOCUMENT_AUTHENTICITY.label, size="2", as_="h3"),
                checkbox("Check the identity document", "doc_enabled", D.enabled),
                rx.text("Accepted document types", size="2", weight="medium"),
                rx.hstack(*[checkbox(DOCUMENT_TYPE_LABELS[t], f"type_{t}", D.accepted_types.contains(t))
                            for t in DOCUMENT_TYPES], wrap="wrap", spacing="4"),
                rx.hstack(
                    rx.box(select("Issuing countries", "country_mode",
                                  [("ALLOW_ALL", "All countries"), ("ALLOW", "Only the countries listed"),
                                   ("DENY", "All but the countries listed")], D.country_mode), flex="1"),
                    rx.box(text_input("Countries (ISO 3166 alpha-3, comma separated)", "countries",
                                      D.countries.join(", "),
                                      placeholder="GBR, FRA, DEU"), flex="2"),
                    width="100%", wrap="wrap",
                ),
                checkbox("Accept expired documents", "accept_expired", D.accept_expired),
                rx.hstack(
                    rx.box(text_input("Documents per session", "document_count", D.document_count.to_string(),
                                      "number", min=1, max=3), width="12rem"),
                    rx.box(select("Capture method", "capture_method",
                                  [("CAMERA", "Camera only"), ("CAMERA_AND_UPLOAD", "Camera and upload")],
                                  D.capture_method), width="16rem"),
                    wrap="wrap",
                ),
                rx.divider(),
                rx.heading(CheckType.LIVENESS.label + rx.cond(C.liveness.liveness_type == "ACTIVE",
                                                              " (active challenge)", " (passive)"), size="2", as_="h3"),
                checkbox("Check liveness", "liveness_enabled", C.liveness.enabled),
                rx.box(text_input("Maximum attempts (at least 1; 3 recommended)", "max_retries",
                                  C.liveness.max_retries.to_string(), "number", min=1, max=10), width="20rem"),
                rx.divider(),
                rx.heading(CheckType.ID_DOCUMENT_FACE_MATCH.label, size="2", as_="h3"),
                checkbox("Compare the live face with the document portrait", "face_enabled", C.face_match.enabled),
                rx.box(select("Manual check", "face_manual", MANUAL, C.face_match.manual_check), width="100%",
                       max_width="34rem"),
                rx.divider(),
                rx.heading(CheckType.ID_DOCUMENT_TEXT_DATA_CHECK.label, size="2", as_="h3"),
                checkbox("Extract the document's text (MRZ and printed fields)", "text_enabled",
                         C.text_extraction.enabled),
                rx.box(select("Manual check", "text_manual", MANUAL, C.text_extraction.manual_check), width="100%",
                       max_width="34rem"),
                save_button("Save checks", "checks"),
                spacing="3", width="100%",
            ),
            on_submit=S.save_checks, key=S.form_key.to_string() + "-checks",
        ),
        width="100%",
    )


def _preferences() -> rx.Component:
    return rx.card(
        rx.heading("Preferences", size="4", margin_bottom="0.5rem", as_="h2"),
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.box(text_input("Primary colour", "primary_colour", P.primary_colour, "color"), width="10rem"),
                    rx.box(text_input("Secondary colour", "secondary_colour", P.secondary_colour, "color"),
                           width="10rem"),
                    rx.box(select("Language of the capture pages", "locale", S.locales, P.locale), width="14rem"),
                    wrap="wrap", spacing="4",
                ),
                text_input("Success redirect URL", "success_url", P.success_url, "url",
                           hint="Where the person goes after finishing (optional, http or https)."),
                text_input("Error redirect URL", "error_url", P.error_url, "url"),
                text_input("Privacy policy URL", "privacy_policy_url", P.privacy_policy_url, "url"),
                rx.hstack(
                    rx.box(text_input("Session link lifetime (days)", "session_lifetime_days",
                                      P.session_lifetime_days.to_string(), "number", min=1, max=90), width="14rem"),
                    rx.box(text_input("Media retention (days)", "media_retention_days",
                                      P.media_retention_days.to_string(), "number", min=1, max=3650), width="14rem"),
                    rx.box(text_input("Reminder emails (0 to 6)", "reminder_count", P.reminder_count.to_string(),
                                      "number", min=0, max=6), width="14rem"),
                    rx.box(text_input("Days between reminders", "reminder_interval_days",
                                      P.reminder_interval_days.to_string(), "number", min=1, max=30), width="14rem"),
                    wrap="wrap", spacing="4",
                ),
                save_button("Save preferences", "prefs"),
                spacing="3", width="100%",
            ),
            on_submit=S.save_preferences, key=S.form_key.to_string() + "-prefs",
        ),
        width="100%",
    )


def _activation() -> rx.Component:
    return rx.cond(S.can_manage, rx.card(
        rx.hstack(
            rx.vstack(
                rx.heading("Status", size="4", as_="h2"),
                rx.text(rx.cond(A.is_active, "Active: sessions can be created.",
                                "Deactivated: no new sessions; existing links keep working until they expire."),
                        size="2"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(A.is_active,
                    rx.button("Deactivate application", color_scheme="orange", variant="soft",
                              on_click=S.set_active(False)),
                    rx.button("Activate application", color_scheme="green", on_click=S.set_active(True))),
            align="center", width="100%", wrap="wrap",
        ),
        rx.box(feedback(S, "status"), margin_top="0.5rem"),
        width="100%",
    ))


def application_settings_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.link("← Applications", href=routes.HOME, size="2"),
            rx.hstack(rx.heading(A.name, size="6", as_="h1"),
                      rx.cond(A, rx.cond(A.is_active, rx.badge("Active", color_scheme="green"),
                                         rx.badge("Deactivated", color_scheme="orange"))), align="center"),
            app_tabs(S.app_id_value, "settings"),
            page_feedback(S),
            rx.cond(~S.can_manage & A.bool(),
                    rx.text("You can read these settings; changing them needs the 'Manage application' permission.",
                            color_scheme="gray", size="2")),
            rx.cond(A, rx.vstack(_details(), _checks(), _preferences(), _activation(), width="100%",
                                            spacing="4")),
            spacing="4",
            width="100%",
        ),
    )
