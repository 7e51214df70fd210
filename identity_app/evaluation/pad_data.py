"""Reading PAD folders: `labels.csv` with `file,label` (+ optional `subject`).

A label is bona fide when it reads bona_fide / bona fide / bonafide / live /
real / genuine / 0; anything else is an attack, and its text is the attack
type (e.g. "spoof (printed photo)"). Without a subject column, the subject
is the file name's first `_`-separated field (NUAA's naming), and without a
`presentation` column the presentation is the file name without its last
`_` field, which is the frame number (NUAA: subject_glasses_place_session_frame).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

BONA_FIDE = {"bona_fide", "bona fide", "bonafide", "bona-fide", "live", "real", "genuine", "0"}


@dataclass(frozen=True)
class PadSample:
    path: Path
    attack_type: str | None  # None = bona fide
    subject: str
    presentation: str = ""   # one capture (a video sequence); frames of it share it
    frame: int = 0

    @property
    def is_attack(self) -> bool:
        return self.attack_type is not None


def load_labels(data_dir: str | Path) -> list[PadSample]:
    data_dir = Path(data_dir)
    files = [data_dir / "labels.csv"] if (data_dir / "labels.csv").is_file() else sorted(data_dir.rglob("labels.csv"))
    samples = []
    for labels in files:
        with labels.open(newline="") as fh:
            reader = csv.DictReader(fh)
            cols = {c.strip().lower(): c for c in reader.fieldnames or ()}
            f_col, l_col = cols.get("file") or cols.get("path") or cols.get("image"), cols.get("label")
            if not (f_col and l_col):
                continue
            s_col, p_col = cols.get("subject"), cols.get("presentation")
            for row in reader:
                name, label = row[f_col].strip(), row[l_col].strip()
                attack = None if label.lower() in BONA_FIDE else label
                subject = row[s_col].strip() if s_col else Path(name).name.split("_")[0]
                head, _, tail = Path(name).stem.rpartition("_")
                frame = int(tail) if head and tail.isdigit() else 0
                presentation = row[p_col].strip() if p_col else (head if head and tail.isdigit() else Path(name).stem)
                samples.append(PadSample(labels.parent / name, attack, subject, presentation, frame))
    return samples


def attempts(samples: list[PadSample], frames: int = 3) -> list[list[int]]:
    """Indices of `samples` grouped as the liveness check scores an attempt: up to `frames`
    frames of one presentation, in frame order (it takes the median of 3 frames' scores)."""
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault((s.subject, s.presentation, s.attack_type), []).append(i)
    out = []
    for idx in groups.values():
        idx = sorted(idx, key=lambda i: samples[i].frame)
        out.extend(idx[k:k + frames] for k in range(0, len(idx), frames))
    return out


def app_face_crop(image_bgr):
    """The crop the liveness check scores (liveness.passive_cues): the face's MediaPipe
    landmark box, no margin; None when no face is found (the check would not score it)."""
    from identity_app.checks import liveness

    analysis = liveness.analyse_frame(image_bgr)
    return liveness.face_crop(image_bgr, analysis) if analysis.has_face else None
