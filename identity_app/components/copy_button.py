"""A button that copies the text of an element on the page, and says so only once it is copied.

The copy happens in the browser (the text is already on the page): "Link copied" is written when
the clipboard has taken it, and where the browser refuses (no permission, page not focused, plain
http) the text is selected instead and the person told to press Ctrl+C."""
from __future__ import annotations

import json

import reflex as rx


def copy_script(source_id: str, status_id: str, done: str) -> str:
    source, status, said = json.dumps(source_id), json.dumps(status_id), json.dumps(done)
    return ("(()=>{const v=document.getElementById(%s),c=document.getElementById(%s);if(!v||!c)return;"
            "const text=v.textContent.trim();c.textContent='';"
            "(navigator.clipboard?navigator.clipboard.writeText(text):Promise.reject())"
            ".then(()=>{c.textContent=%s;},()=>{const r=document.createRange();r.selectNodeContents(v);"
            "const s=window.getSelection();s.removeAllRanges();s.addRange(r);"
            "c.textContent='Selected: press Ctrl+C to copy it.';});})()") % (source, status, said)


def copy_button(*children, source_id: str, status_id: str, done: str, key=None, **props) -> rx.Component:
    """The button and its status line; `key` (the copied thing's id) empties the status when it changes."""
    return rx.fragment(
        rx.button(*children, on_click=rx.call_script(copy_script(source_id, status_id, done)), **props),
        rx.el.span("", id=status_id, role="status", key=key,
                   style={"color": "var(--green-11)", "font_size": "var(--font-size-2)"}),
    )
