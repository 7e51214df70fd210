"""Sub-check names as a reviewer reads them (the console's words for the codes the checks write),
and the capture pages' languages by their own names (the settings' picker showed "en", "fr")."""
from __future__ import annotations

# Sub-check names as the checks write them (identity_app/checks/*), as a reviewer reads them.
SUB_CHECK_LABELS = {
    "image_quality": "Image quality", "document_in_date": "Document in date", "mrz_integrity": "MRZ integrity",
    "data_consistency": "Printed data matches the MRZ", "supported_document": "Supported document type",
    "supported_country": "Supported issuing country", "specimen": "Not a specimen document",
    "portrait_present": "Portrait on the document", "physical_presence": "Physical document (not a copy)",
    "liveness_auth": "Liveness challenges answered", "frames_received": "Video frames received",
    "face_present": "Face seen in every frame", "one_face_only": "Only one face in view",
    "human_timing": "Human response timing", "same_face": "Same face throughout",
    "passive_presentation_attack": "No photo or screen held up (passive)", "ai_face_match": "Face match (model)",
    "mrz_unambiguous": "MRZ read unambiguously", "ocr_repair": "OCR repair",
    "passive_screen_replay": "No screen edge or corner around the face (passive)",
    "passive_screen_gamut": "Face not lit by a screen's backlight (passive)",
}
_WORDS = {"mrz": "MRZ", "ocr": "OCR", "ai": "AI", "pad": "PAD", "id": "ID", "s": "(s)", "fps": "FPS"}


def readable(name: str) -> str:
    """'challenge_1_blink' -> 'Challenge 1 blink', 'frames_without_face' -> 'Frames without face'."""
    if name in SUB_CHECK_LABELS:
        return SUB_CHECK_LABELS[name]
    words = [_WORDS.get(w, w) for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else name


LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "es": "Español", "it": "Italiano",
                  "nl": "Nederlands", "pt": "Português"}


def shown_name(user_name: str, session_id: int) -> str:
    """How the console names a session's person: a session made through the Yoti-compatible
    endpoint has no name, and an empty name made an empty, unclickable link in the list."""
    return user_name or f"Session {session_id} (no name)"
