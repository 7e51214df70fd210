"""Owner setup, sign-in, TOTP code, TOTP enrolment, recovery codes, invitation."""
from __future__ import annotations

import reflex as rx

# The recovery codes are drawn by the browser (state/sign_in._DRAW_RECOVERY_CODES) and never
# pass through the UI state: copying and downloading them happen in the browser too.
_CODES = "Array.from(document.querySelectorAll('#recovery-codes code')).map((c)=>c.textContent)"
_COPY_CODES = (
    "(()=>{const text=%s.join('\\n'),said=document.getElementById('recovery-codes-said');"
    "(navigator.clipboard?navigator.clipboard.writeText(text):Promise.reject()).then("
    "()=>{said.textContent='Codes copied.';},"
    "()=>{const r=document.createRange();r.selectNodeContents(document.getElementById('recovery-codes'));"
    "const s=window.getSelection();s.removeAllRanges();s.addRange(r);"
    "said.textContent='Selected: press Ctrl+C to copy them.';});})()") % _CODES
_DOWNLOAD_CODES = (
    "(()=>{const text='Identity Verification recovery codes ('+window.location.host+')\\n'"
    "+'Each code signs you in once.\\n\\n'+%s.join('\\n')+'\\n';"
    "const url=URL.createObjectURL(new Blob([text],{type:'text/plain'}));"
    "const a=document.createElement('a');a.href=url;a.download='recovery-codes.txt';"
    "document.body.appendChild(a);a.click();a.remove();setTimeout(()=>URL.revokeObjectURL(url),1000);"
    "document.getElementById('recovery-codes-said').textContent='Downloaded recovery-codes.txt.';})()") % _CODES

from identity_app import routes
from identity_app.components.layout import auth_card, error_callout, info_callout, labelled_input
from identity_app.state.new_account import NewAccountState
from identity_app.state.sign_in import SignInState


def submit_button(label: str) -> rx.Component:
    """Enabled once the page is live: a form sent before it would be a plain browser submit
    (the page reloads and the typed password or code is lost), which happens to quick typists
    right after a sign-in step loads the next page in full."""
    return rx.button(label, type="submit", width="100%", disabled=~rx.State.is_hydrated)


def setup_page() -> rx.Component:
    return auth_card(
        "Set up the owner account",
        rx.text("No one has an account yet. The first account owns this installation.", color_scheme="gray"),
        error_callout(NewAccountState.error),
        rx.form(
            rx.vstack(
                labelled_input("Your name", "name", required=True, auto_complete="name"),
                labelled_input("Email", "email", "email", required=True, auto_complete="email"),
                labelled_input("Password (at least 10 characters)", "password", "password", required=True,
                               auto_complete="new-password"),
                labelled_input("Repeat the password", "password_confirm", "password", required=True,
                               auto_complete="new-password"),
                submit_button("Create owner account"),
                spacing="3",
            ),
            on_submit=NewAccountState.submit_setup,
            reset_on_submit=False,
        ),
    )


def sign_in_page() -> rx.Component:
    return auth_card(
        "Sign in",
        info_callout(SignInState.info),
        error_callout(SignInState.error),
        rx.form(
            rx.vstack(
                labelled_input("Email", "email", "email", required=True, auto_complete="username"),
                labelled_input("Password", "password", "password", required=True, auto_complete="current-password"),
                submit_button("Continue"),
                spacing="3",
            ),
            on_submit=SignInState.submit_password,
        ),
    )


def code_page() -> rx.Component:
    return auth_card(
        "Two-factor code",
        rx.text("Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
                color_scheme="gray"),
        error_callout(SignInState.error),
        rx.form(
            rx.vstack(
                labelled_input("Code", "code", required=True, auto_complete="one-time-code", input_mode="numeric",
                               auto_focus=True),
                submit_button("Sign in"),
                spacing="3",
            ),
            on_submit=SignInState.submit_code,
            reset_on_submit=True,
        ),
        rx.link("Start again", href=routes.SIGN_IN, size="2"),
    )


def enrol_page() -> rx.Component:
    return auth_card(
        "Set up two-factor authentication",
        rx.text("Scan this QR code with an authenticator app (for example Aegis, Google Authenticator "
                "or 1Password), then enter the code it shows.", color_scheme="gray"),
        # Drawn by the browser from /api/auth/enrolment: the key never passes through the UI state.
        rx.center(rx.el.img(id="totp-qr", alt="QR code for your authenticator app", width="220", height="220",
                            style={"visibility": "hidden"})),
        rx.text("Or type this key:", size="2"),
        rx.code("", id="totp-secret", size="3", style={"word_break": "break-all"}),
        error_callout(SignInState.error),
        rx.form(
            rx.vstack(
                labelled_input("Code from the app", "code", required=True, auto_complete="one-time-code",
                               input_mode="numeric"),
                submit_button("Confirm and continue"),
                spacing="3",
            ),
            on_submit=SignInState.submit_enrol,
            reset_on_submit=True,
        ),
    )


def recovery_codes_page() -> rx.Component:
    return auth_card(
        "Save your recovery codes",
        rx.text("Each code signs you in once if you lose your phone. They are shown only now: "
                "store them somewhere safe.", color_scheme="gray"),
        rx.box(id="recovery-codes"),  # drawn by the browser from /api/auth/recovery-codes
        rx.hstack(
            rx.button("Copy codes", type="button", variant="soft", on_click=rx.call_script(_COPY_CODES)),
            rx.button("Download as .txt", type="button", variant="soft", on_click=rx.call_script(_DOWNLOAD_CODES)),
            rx.text("", id="recovery-codes-said", size="2", color_scheme="green", role="status"),
            align="center", wrap="wrap",
        ),
        # Enabled once the page is live: a click before that did nothing (and a test waiting for the
        # next page timed out on a loaded machine).
        rx.button("I have saved them", on_click=SignInState.recovery_codes_saved, width="100%",
                  disabled=~rx.State.is_hydrated),
    )


def invitation_page() -> rx.Component:
    return auth_card(
        "Accept your invitation",
        error_callout(NewAccountState.error),
        rx.cond(
            NewAccountState.invitation_valid,
            rx.vstack(
                rx.text("You were invited to ", rx.text.strong(NewAccountState.invitation_application),
                        " as ", rx.text.strong(NewAccountState.invitation_email), "."),
                rx.form(
                    rx.vstack(
                        labelled_input("Your name", "name", required=True, auto_complete="name"),
                        labelled_input("Password (at least 10 characters)", "password", "password", required=True,
                                       auto_complete="new-password"),
                        labelled_input("Repeat the password", "password_confirm", "password", required=True,
                                       auto_complete="new-password"),
                        submit_button("Create account"),
                        spacing="3",
                    ),
                    on_submit=NewAccountState.submit_invitation,
                    reset_on_submit=False,
                ),
                width="100%",
            ),
            rx.link("Go to sign-in", href=routes.SIGN_IN),
        ),
    )
