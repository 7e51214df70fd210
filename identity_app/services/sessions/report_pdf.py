"""A session's PDF report: the decision, every check's recommendation and breakdown, the extracted
fields, the portrait, selfie and MRZ crops when there are any, and the session's audit trail.

Built in memory only (fpdf2 writes into a bytearray; images go in from BytesIO), so no personal
data touches the disk; the download is an audited event, checked like media (view sessions on the
session's application; another application's session is "not found").
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable

from sqlmodel import Session, select

from identity_app.models import AuditAction, AuditEvent, MediaItem, MediaKind, Permission
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import session_for
from identity_app.services.sessions.detail import SessionDetail, build_detail
from identity_app.storage import MediaStore, StorageError

# Which stored image shows what, best first: the worker's evidence crops, else the captured images.
PORTRAIT_KINDS = (MediaKind.PORTRAIT_CROP,)
DOCUMENT_KINDS = (MediaKind.DOCUMENT_CORRECTED, MediaKind.DOCUMENT_FRONT)
MRZ_KINDS = (MediaKind.MRZ_CROP,)
SELFIE_KINDS = (MediaKind.SELFIE,)


@dataclass(frozen=True)
class Figure:
    caption: str
    data: bytes


@dataclass(frozen=True)
class TrailRow:
    at: datetime
    actor: str
    action: str
    target: str


@dataclass(frozen=True)
class SessionReport:
    session_id: int
    filename: str
    pdf: bytes


def _newest(db: Session, store: MediaStore, session_id: int, kinds: tuple[MediaKind, ...]) -> bytes | None:
    for kind in kinds:
        item = db.exec(select(MediaItem).where(MediaItem.session_id == session_id, MediaItem.kind == kind)
                       .order_by(MediaItem.created_at.desc(), MediaItem.id.desc())).first()  # type: ignore[attr-defined]
        if item is not None:
            try:
                return store.get(item.storage_key)
            except StorageError:
                continue  # deleted from the store meanwhile: the next best
    return None


def figures(db: Session, store: MediaStore, session_id: int) -> tuple[Figure, ...]:
    """The portrait, the selfie, the MRZ crop and the document, as far as they are stored."""
    out: list[Figure] = []
    document = _newest(db, store, session_id, DOCUMENT_KINDS)
    portrait = _newest(db, store, session_id, PORTRAIT_KINDS)
    if portrait is None and document is not None:
        from identity_app.services.capture.media_views import portrait_crop

        portrait = portrait_crop(document)
    if portrait is not None:
        out.append(Figure("Document portrait", portrait))
    selfie = _newest(db, store, session_id, SELFIE_KINDS)
    if selfie is not None:
        out.append(Figure("Selfie", selfie))
    mrz = _newest(db, store, session_id, MRZ_KINDS)
    if mrz is not None:
        out.append(Figure("MRZ", mrz))
    if document is not None:
        out.append(Figure("Document", document))
    return tuple(out)


def trail(db: Session, session_id: int) -> tuple[TrailRow, ...]:
    rows = db.exec(select(AuditEvent).where(AuditEvent.session_id == session_id)
                   .order_by(AuditEvent.at, AuditEvent.id)).all()  # type: ignore[arg-type]
    return tuple(TrailRow(e.at, e.actor or "system", e.action, e.target) for e in rows)


def action_words(action: str) -> str:
    """'capture.consent_given' -> 'Capture: consent given'."""
    area, _, what = action.partition(".")
    return f"{area.capitalize()}: {what.replace('_', ' ')}" if what else action


# --- drawing -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font_files() -> tuple[Path, Path] | None:
    """DejaVu Sans (every Latin, Greek and Cyrillic name), as matplotlib ships it; read, never written."""
    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    except ImportError:
        return None
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    return (regular, bold) if regular.is_file() and bold.is_file() else None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


class _Doc:
    """fpdf2 with the few styles the report uses."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_title(title)
        self.pdf.set_creator("Identity Verification")
        self.pdf.set_auto_page_break(True, margin=15)
        fonts = _font_files()
        if fonts:
            self.pdf.add_font("Body", "", str(fonts[0]))
            self.pdf.add_font("Body", "B", str(fonts[1]))
            self.family, self.unicode = "Body", True
        else:  # the core font: Latin-1 only
            self.family, self.unicode = "Helvetica", False
        self.pdf.add_page()
        self.width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def text(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 13) -> None:
        self.pdf.ln(2)
        self.pdf.set_font(self.family, "B", size)
        self.pdf.multi_cell(self.width, 7, self.text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(self.family, "", 9)

    def line(self, value: str, bold: bool = False, size: int = 9) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(self.width, 5, self.text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(self.family, "", 9)

    def table(self, header: tuple[str, ...] | None, rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
        """A table; without a header, its first column is the row's name (bold)."""
        from fpdf.fonts import FontFace

        self.pdf.set_font(self.family, "", 8)
        with self.pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5, width=self.width,
                            first_row_as_headings=header is not None) as table:
            for values in ([header] if header else []) + rows:
                row = table.row()
                for i, v in enumerate(values):
                    row.cell(self.text(v), style=FontFace(emphasis="BOLD") if header is None and i == 0 else None)
        self.pdf.set_font(self.family, "", 9)

    def images(self, figs: tuple[Figure, ...]) -> None:
        """Up to three a row, each scaled into its box."""
        box_w, box_h, gap = (self.width - 8) / 3, 55.0, 4.0
        for start in range(0, len(figs), 3):
            row = figs[start:start + 3]
            if self.pdf.get_y() + box_h + 10 > self.pdf.h - self.pdf.b_margin:
                self.pdf.add_page()
            y = self.pdf.get_y()
            for i, fig in enumerate(row):
                x = self.pdf.l_margin + i * (box_w + gap)
                self.pdf.set_xy(x, y)
                self.pdf.set_font(self.family, "B", 8)
                self.pdf.cell(box_w, 5, self.text(fig.caption))
                try:
                    self.pdf.image(io.BytesIO(fig.data), x=x, y=y + 5, w=box_w, h=box_h, keep_aspect_ratio=True)
                except Exception:  # an image the PDF library cannot read: say so, keep the report
                    self.pdf.set_xy(x, y + 10)
                    self.pdf.cell(box_w, 5, "(image unreadable)")
            self.pdf.set_xy(self.pdf.l_margin, y + box_h + 8)
        self.pdf.set_font(self.family, "", 9)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def render(detail: SessionDetail, figs: tuple[Figure, ...], events: tuple[TrailRow, ...], *,
           sub_check_label: Callable[[str], str], generated_at: datetime, generated_by: str) -> bytes:
    """The PDF bytes of one session (pure: everything it shows is passed in)."""
    doc = _Doc(f"Verification session {detail.id}")
    doc.heading(f"Verification session #{detail.id}", 16)
    doc.line(f"{detail.application_name} - generated {_when(generated_at)} by {generated_by}")
    doc.heading("Person")
    doc.table(None, [("Name", detail.user_name), ("Email", detail.user_email),
                         ("Reference", detail.reference or "-"), ("State", detail.state_label),
                         ("Created", _when(detail.created_at)), ("Link opened", _when(detail.started_at)),
                         ("Capture submitted", _when(detail.capture_finished_at)),
                         ("Completed", _when(detail.completed_at))], (30, 70))
    doc.heading("Decision")
    if detail.decision is None:
        doc.line("No decision has been made.")
    else:
        d = detail.decision
        doc.line(f"{'APPROVED' if d.value == 'APPROVE' else 'REJECTED'} by {d.decided_by} on {_when(d.decided_at)}",
                 bold=True, size=11)
        if d.note:
            doc.line(f"Note: {d.note}")
        if len(detail.decisions) > 1:
            doc.line("Earlier decisions: " + "; ".join(f"{e.value} by {e.decided_by} on {_when(e.decided_at)}"
                                                      for e in detail.decisions[1:]))
    if figs:
        doc.heading("Images")
        doc.images(figs)
    doc.heading("Extracted fields")
    if detail.document_fields:
        doc.table(("Field", "Value"), [(sub_check_label(f.name), f.value) for f in detail.document_fields], (35, 65))
    else:
        doc.line("No fields were extracted.")
    doc.heading("Checks")
    if not detail.checks:
        doc.line("No checks have run.")
    for card in detail.checks:
        outcome = card.recommendation or ("no report kept" if card.state == "DONE" else "running")
        if card.reason:
            outcome += f" ({card.reason})"
        doc.line(f"{card.label}, attempt {card.attempt}: {outcome}", bold=True, size=10)
        extra = [f"Process: {card.process.replace('_', ' ').lower()}"]
        if card.algorithm_version:
            extra.append(f"algorithm {card.algorithm_version}")
        if card.review_result:
            extra.append(f"manual review {card.review_result} by {card.reviewed_by} on {_when(card.reviewed_at)}"
                         + (f": {card.review_reason}" if card.review_reason else ""))
        elif card.review_state == "PENDING":
            extra.append("manual review pending")
        doc.line("; ".join(extra))
        if card.recovery_suggestion:
            doc.line(f"Recovery suggestion: {card.recovery_suggestion}")
        if card.breakdown:
            doc.table(("Sub-check", "Result", "Details"),
                      [(sub_check_label(s.sub_check), s.result.value,
                        ", ".join(f"{sub_check_label(x.name)}: {x.value}" for x in s.details) or "-")
                       for s in card.breakdown], (32, 10, 58))
    doc.heading("Audit trail")
    doc.table(("When", "Who", "What", "Target"),
              [(_when(e.at), e.actor, action_words(e.action), e.target or "-") for e in events], (24, 26, 30, 20))
    return doc.output()


def session_report(db: Session, store: MediaStore, *, actor: OperatorView | None, session_id: int,
                   sub_check_label: Callable[[str], str], ip: str = "") -> SessionReport:
    """The PDF report of a session the actor may view, its download audited (and listed in its own trail)."""
    vs = session_for(db, actor, session_id, Permission.VIEW_SESSIONS)
    assert actor is not None and vs.id is not None
    event = audit.record(db, AuditAction.REPORT_DOWNLOADED, operator_id=actor.id, actor=actor.email,
                         application_id=vs.application_id, session_id=vs.id, target=f"session:{vs.id}", ip=ip)
    db.flush()
    detail = build_detail(db, actor, vs)
    pdf = render(detail, figures(db, store, vs.id), trail(db, vs.id), sub_check_label=sub_check_label,
                 generated_at=event.at, generated_by=actor.email)
    return SessionReport(vs.id, f"session-{vs.id}-report.pdf", pdf)
