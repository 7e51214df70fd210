"""Synthetic identity documents as people photograph them, made at run time.

Real photographs of documents with a readable MRZ are rare (and none may be
copied into this repository), so the MRZ reader, the locator, the
perspective correction and the capture assessment are also measured on
documents drawn here:

- layouts after ICAO Doc 9303: a TD3 passport data page, a TD1 card (front
  with the printed fields and portrait, back with the 3-line MRZ), a TD2
  card, MRV-A and MRV-B visas, and the French identity card issued until
  2021 (FRA_ID, its own MRZ); the MRZ in OCR-B (Debian's fonts-ocr-b), the
  printed fields in DejaVu Sans with bilingual labels;
- random holders: names, document numbers rich in confusable characters
  (O/0, I/1, B/8, S/5, Z/2, D/0), dates; a share of documents carries a
  check digit printed wrong (they must be reported invalid);
- real specimen portraits (faces found in ../shared/data images) and real
  backgrounds (the desk photos of docs-photographed-dev, room scenes)
  read from DATA_DIR at run time (../shared/data beside the checkout, or
  IDV_SHARED_DATA); plain textures when it is absent, said once on stderr:
  the same seed then draws another document, so figures from a copy of the
  checkout elsewhere are not comparable;
- as a person photographs them: flat scans, phone photos (perspective,
  rotation, lighting gradients, glare, shadows, blur, noise, JPEG), small
  images (a 397x266 passport), both card sides in one image, MRZ lines
  spaced wide; capture variants partly out of frame, too far, blurred or
  with glare over the text.

Nothing is stored: every image is made in memory from a seed, and the same
seed makes the same document.

    python -m identity_app.evaluation.synthetic_documents OUT_DIR -n 12   # look at a few
"""
from __future__ import annotations

import argparse
import glob
import os
import random
import string
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from identity_app.checks.icao import check_digit

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("IDV_SHARED_DATA") or ROOT / ".." / "shared" / "data").resolve()
OCR_B = ("/usr/share/fonts/opentype/ocr-b/OCRB.otf",)
SANS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
SANS_BOLD = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)

FORMATS = ("TD3", "TD1", "TD2", "MRV_A", "MRV_B", "FRA_ID")
FORMAT_WEIGHTS = (0.35, 0.2, 0.1, 0.1, 0.05, 0.2)
# Kinds of image, and how often --generated draws each.
KINDS = ("scan", "photo", "small", "two_sides", "wide_spacing")
KIND_WEIGHTS = (0.2, 0.45, 0.1, 0.1, 0.15)
INVALID_SHARE = 0.1
# Capture variants: what a person's photo of the document may go wrong with.
CAPTURE_VARIANTS = ("usable", "partial", "far", "glare", "blurry")

# ISO 7810 sizes (mm): ID-1 cards, ID-2, ID-3 passport pages and visas.
SIZES_MM = {"TD1": (85.6, 54.0), "FRA_ID": (85.6, 54.0), "TD2": (105.0, 74.0), "TD3": (125.0, 88.0),
            "MRV_A": (120.0, 80.0), "MRV_B": (105.0, 74.0)}
MRZ_PITCH_MM = 2.54          # OCR-B size 1 at 10 characters per inch
MRZ_LINE_MM = 4.23           # baseline to baseline
WIDTHS = {"TD1": 30, "TD2": 36, "TD3": 44, "MRV_A": 44, "MRV_B": 36, "FRA_ID": 36}

SURNAMES = ("ERIKSSON", "MUSTERMANN", "DUBOIS", "OKONKWO", "BOSSI", "NAKAMURA", "GARCIA LOPEZ", "VAN DER BERG",
            "SZYMANSKI", "OBRIEN", "LINDQVIST", "DIALLO", "KOWALSKA", "HOLLOWAY", "BOUDREAU", "OSEI", "ZIEGLER",
            "DE OLIVEIRA SANTOS", "KIM", "IBRAHIMOVIC", "SOBOLEWSKI", "DOUEL", "BERTHIER", "SILVA", "ODD")
GIVEN = ("ANNA MARIA", "ERIKA", "JEAN PIERRE", "CHIDI", "LUCA", "YUKI", "SOFIA", "KEES", "ZOFIA", "SEAN",
         "BIRGIT", "AMADOU", "JOANNA", "OLIVER", "DOMINIQUE", "KWAME", "BODO", "ISABEL", "MIN JUN", "EDIN",
         "CHRISTIANE", "LOUIS", "KIRA", "OTTO", "BO")
COUNTRIES = ("UTO", "DEU", "FRA", "NLD", "ITA", "ESP", "POL", "SWE", "GBR", "CAN", "AUS", "NGA", "GHA", "JPN",
             "KOR", "SEN", "HUN", "BEL", "CHE", "AUT", "D<<")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
CONFUSABLE = "0O1I8B5S2Z6GD"


@dataclass
class Synthetic:
    image: np.ndarray                    # BGR
    lines: tuple[str, ...]               # the MRZ as printed
    format: str
    valid_as_printed: bool
    kind: str
    printed: dict[str, str]              # printed fields (visual zone), ISO dates
    quad: np.ndarray | None = None       # 4x2 corners of the document (MRZ side) in the image, or None
    capture: str = "usable"              # the capture variant (CAPTURE_VARIANTS)
    seed: int = 0
    notes: dict[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------- resources


def _font_path(candidates: tuple[str, ...]) -> str:
    for c in candidates:
        if Path(c).is_file():
            return c
    name = Path(candidates[0]).name
    found = glob.glob(f"/usr/share/fonts/**/{name}", recursive=True)
    if found:
        return found[0]
    raise FileNotFoundError(f"font {name} is not installed (Debian: fonts-ocr-b, fonts-dejavu-core)")


@lru_cache(maxsize=64)
def _font(kind: str, size: int):
    from PIL import ImageFont

    path = {"ocrb": OCR_B, "sans": SANS, "bold": SANS_BOLD}[kind]
    return ImageFont.truetype(_font_path(path), max(6, int(size)))


def fonts_available() -> bool:
    try:
        _font_path(OCR_B)
        _font_path(SANS)
        return True
    except FileNotFoundError:
        return False


@lru_cache(maxsize=1)
def _portraits(data_dir: str) -> tuple[np.ndarray, ...]:
    """Faces from the images of ../shared/data (the specimen documents' own portraits, face sets)."""
    base = Path(data_dir)
    files = sorted(glob.glob(str(base / "mrz-passporteye" / "testdata" / "*"))) + \
        sorted(glob.glob(str(base / "face-lfw-samples" / "*.jpg"))) + \
        sorted(glob.glob(str(base / "face-verify-openface" / "*.jpg")))
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    out = []
    for f in files:
        img = cv2.imread(f, cv2.IMREAD_COLOR)
        if img is None:
            continue
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        faces = cascade.detectMultiScale(grey, 1.1, 6, minSize=(40, 40))
        for x, y, w, h in list(faces)[:1]:
            x0, y0 = max(0, int(x - 0.35 * w)), max(0, int(y - 0.45 * h))
            x1, y1 = min(img.shape[1], int(x + 1.35 * w)), min(img.shape[0], int(y + 1.55 * h))
            crop = img[y0:y1, x0:x1]
            if crop.shape[0] > 40 and crop.shape[1] > 30:
                out.append(crop)
    return tuple(out)


@lru_cache(maxsize=1)
def _backgrounds(data_dir: str) -> tuple[np.ndarray, ...]:
    """Real scenes to lay documents on: the desk photos, room scenes."""
    base = Path(data_dir)
    files = sorted(glob.glob(str(base / "docs-photographed-dev" / "*.png"))) + \
        sorted(glob.glob(str(base / "face-verify-face_recognition" / "examples" / "*.jpg"))) + \
        sorted(glob.glob(str(base / "face-verify-openface" / "*.jpg")))
    out = []
    for f in files:
        img = cv2.imread(f, cv2.IMREAD_COLOR)
        if img is not None and min(img.shape[:2]) >= 200:
            out.append(img)
    return tuple(out)


# ----------------------------------------------------------------- holders and MRZ


def _date(rng: random.Random, lo: int, hi: int) -> tuple[int, int, int]:
    return rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28)


def _yymmdd(d: tuple[int, int, int]) -> str:
    return f"{d[0] % 100:02d}{d[1]:02d}{d[2]:02d}"


def _iso(d: tuple[int, int, int]) -> str:
    return f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"


def _mrz_name(text: str) -> str:
    return text.replace(" ", "<").replace("'", "").replace("-", "<")


def _number(rng: random.Random, length: int) -> str:
    """A document number with letters and digits, rich in OCR-B confusables.

    Letters stand where issuers put them: a prefix (BD0002028, IOG151831),
    a letter among the digits (the ICAO specimen's L898902C3) or at the end.
    A letter among digits is never O, I or Q: issuers leave those out of
    serials because nobody, person or reader, can tell them from 0 and 1
    there (a prefix may still hold them, and the reader must cope)."""
    pattern = rng.choice(("LLDDDDDDD", "LDDDDDDDD", "DDDDDDDDD", "LLDDDDDDL", "LDDDDDDLD", "LLLDDDDDD"))
    out = []
    for k, p in enumerate(pattern[:length].ljust(length, "D")):
        inner = p == "L" and "D" in pattern[:k]
        if rng.random() < 0.45:
            pool = [c for c in CONFUSABLE if (c.isdigit() if p == "D" else c.isalpha())]
        else:
            pool = list(string.digits if p == "D" else string.ascii_uppercase)
        if inner:
            pool = [c for c in pool if c not in "OIQ"]
        out.append(rng.choice(pool))
    return "".join(out)


def _field(text: str, width: int) -> str:
    return text[:width].ljust(width, "<")


def _holder(rng: random.Random) -> dict:
    return {
        "surname": rng.choice(SURNAMES),
        "given": rng.choice(GIVEN),
        "country": rng.choice(COUNTRIES),
        "nationality": rng.choice(COUNTRIES),
        "birth": _date(rng, 1940, 2006),
        "expiry": _date(rng, 2024, 2036),
        "sex": rng.choice("MF<"),
        "number": _number(rng, 9),
        "optional": rng.choice(("", "", _number(rng, 7), "ZE184226B")),
    }


def make_mrz(fmt: str, h: dict) -> tuple[str, ...]:
    """The MRZ lines of holder `h` in format `fmt`, every check digit correct."""
    cd = check_digit
    names = _mrz_name(h["surname"]) + "<<" + _mrz_name(h["given"])
    birth, expiry = _yymmdd(h["birth"]), _yymmdd(h["expiry"])
    if fmt in ("TD3", "MRV_A", "TD2", "MRV_B"):
        width = WIDTHS[fmt]
        kind = {"TD3": "P<", "MRV_A": "V<", "TD2": "I<", "MRV_B": "VC"}[fmt]
        l1 = _field(kind + h["country"] + names, width)
        number = h["number"]
        head = number + cd(number) + h["nationality"] + birth + cd(birth) + h["sex"] + expiry + cd(expiry)
        if fmt == "TD3":
            personal = _field(h["optional"], 14)
            body = head + personal + cd(personal)
            l2 = body + cd(body[0:10] + body[13:20] + body[21:43])
        elif fmt == "TD2":
            body = head + _field(h["optional"], 7)
            l2 = body + cd(body[0:10] + body[13:20] + body[21:35])
        else:
            l2 = _field(head + h["optional"], width)
        return l1, l2
    if fmt == "TD1":
        number = h["number"]
        l1 = _field("I<" + h["country"] + number + cd(number) + h["optional"], 30)
        l2 = birth + cd(birth) + h["sex"] + expiry + cd(expiry) + h["nationality"] + "<" * 11
        l2 = l2 + cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
        return l1, l2, _field(names, 30)
    if fmt == "FRA_ID":
        l1 = "IDFRA" + _field(_mrz_name(h["surname"]), 25) + h["admin"]
        number = h["fra_number"]
        given = _field(_mrz_name(h["given"]).replace("<", "<<", 1) if " " in h["given"] else h["given"], 14)
        sex = h["sex"] if h["sex"] in "MF" else "F"
        body = number + cd(number) + given + birth + cd(birth) + sex
        return l1, body + cd(l1 + body)
    raise ValueError(fmt)


def _check_positions(fmt: str) -> list[tuple[int, int]]:
    return {"TD3": [(1, 9), (1, 19), (1, 27), (1, 43)], "TD2": [(1, 9), (1, 19), (1, 27), (1, 35)],
            "MRV_A": [(1, 9), (1, 19), (1, 27)], "MRV_B": [(1, 9), (1, 19), (1, 27)],
            "TD1": [(0, 14), (1, 6), (1, 14), (1, 29)], "FRA_ID": [(1, 12), (1, 33), (1, 35)]}[fmt]


def _break_a_digit(lines: tuple[str, ...], fmt: str, rng: random.Random) -> tuple[str, ...]:
    li, pos = rng.choice(_check_positions(fmt))
    old = lines[li][pos]
    new = rng.choice([d for d in string.digits if d != old])
    out = list(lines)
    out[li] = out[li][:pos] + new + out[li][pos + 1:]
    return tuple(out)


# ----------------------------------------------------------------- drawing a document


def _printed_date(d: tuple[int, int, int], style: int) -> str:
    if style == 0:
        return f"{d[2]:02d} {MONTHS[d[1] - 1]} {d[0]:04d}"
    if style == 1:
        return f"{d[2]:02d}.{d[1]:02d}.{d[0]:04d}"
    return f"{d[2]:02d} {MONTHS[d[1] - 1]}/{MONTHS[d[1] - 1]} {d[0] % 100:02d}"


def _paper(rng: random.Random, w: int, h: int) -> np.ndarray:
    """A security-printed paper: pastel tint, guilloche waves, a faint emblem."""
    tint = np.array([rng.randint(205, 245), rng.randint(215, 245), rng.randint(215, 250)], np.float32)
    img = np.ones((h, w, 3), np.float32) * tint
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(3):
        f1, f2, ph = rng.uniform(0.01, 0.05), rng.uniform(0.002, 0.02), rng.uniform(0, 6.3)
        wave = np.sin(xx * f1 + np.sin(yy * f2 + ph) * 6.0)
        colour = np.array([rng.randint(-25, 5) for _ in range(3)], np.float32)
        img += (wave[..., None] > 0.92) * colour
    cx, cy, r = rng.uniform(0.4, 0.8) * w, rng.uniform(0.2, 0.6) * h, rng.uniform(0.15, 0.3) * h
    ring = np.abs(np.hypot(xx - cx, yy - cy) - r) < 1.5
    img[ring] -= 18
    return np.clip(img, 0, 255).astype(np.uint8)


@lru_cache(maxsize=None)
def _data_present(data_dir: str) -> bool:
    """Whether the real portraits and backgrounds are there; said once per folder when they are not."""
    if Path(data_dir).is_dir():
        return True
    print(f"synthetic_documents: {data_dir} not found (set IDV_SHARED_DATA): plain textures instead of real "
          "portraits and backgrounds; these documents differ from those the same seeds draw with the data",
          file=sys.stderr)
    return False


def _portrait(rng: random.Random, w: int, h: int, data_dir: Path) -> np.ndarray:
    faces = _portraits(str(data_dir)) if _data_present(str(data_dir)) else ()
    if faces:
        face = faces[rng.randrange(len(faces))]
        face = cv2.resize(face, (w, h), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.3:
            face = cv2.cvtColor(cv2.cvtColor(face, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        return face
    img = np.full((h, w, 3), 200, np.uint8)  # a silhouette when no data is there
    cv2.ellipse(img, (w // 2, int(h * 0.4)), (int(w * 0.28), int(h * 0.25)), 0, 0, 360, (90, 110, 140), -1)
    cv2.ellipse(img, (w // 2, h), (int(w * 0.45), int(h * 0.35)), 0, 180, 360, (60, 60, 60), -1)
    return img


def _text(draw, xy, text, font, fill=(20, 20, 20)):
    draw.text(xy, text, font=font, fill=fill)


def draw_document(fmt: str, lines: tuple[str, ...], h: dict, rng: random.Random, px_per_mm: float,
                  data_dir: Path = DATA_DIR, line_spacing: float = 1.0, side: str = "mrz"
                  ) -> tuple[np.ndarray, dict[str, str], tuple[int, int, int, int] | None]:
    """The document flat, at `px_per_mm`: (BGR image, printed fields, portrait box).

    side: "mrz" the side with the MRZ (a TD1 card's back), "front" a TD1 card's front
    (portrait and printed fields, no MRZ), "back" a card's back without an MRZ.
    line_spacing: MRZ baseline distance as a multiple of the usual 4.23 mm.
    """
    from PIL import Image, ImageDraw

    wmm, hmm = SIZES_MM[fmt]
    W, H = int(wmm * px_per_mm), int(hmm * px_per_mm)
    mm = px_per_mm
    page = Image.fromarray(cv2.cvtColor(_paper(rng, W, H), cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(page)
    style = rng.randrange(3)
    printed = {"surname": h["surname"], "given_names": h["given"], "date_of_birth": _iso(h["birth"])}
    if fmt != "FRA_ID":
        printed["document_number"] = h["number"]
        printed["expiration_date"] = _iso(h["expiry"])
    else:
        printed["document_number"] = h["fra_number"]
    portrait_box = None
    show_front = side == "front" or (side == "mrz" and fmt != "TD1")
    if show_front:
        titles = {"TD3": "PASSPORT / PASSEPORT", "TD2": "IDENTITY CARD / CARTE D'IDENTITE",
                  "TD1": "IDENTITY CARD / CARTE D'IDENTITE", "MRV_A": "VISA", "MRV_B": "VISA",
                  "FRA_ID": "CARTE NATIONALE D'IDENTITE"}
        _text(draw, (int(4 * mm), int(2.5 * mm)), titles[fmt], _font("bold", 3.2 * mm), (40, 40, 90))
        if fmt != "FRA_ID":
            _text(draw, (int(0.62 * W), int(2.5 * mm)), h["country"].replace("<", ""), _font("bold", 3.2 * mm),
                  (40, 40, 90))
        mrz_top = H - (len(lines) * MRZ_LINE_MM * line_spacing + 4) * mm
        pw, ph = int(0.26 * W), int(min(0.36 * W, mrz_top - 10 * mm))
        px, py = int(4 * mm), int(8 * mm)
        if fmt in ("MRV_A", "MRV_B") and rng.random() < 0.5:
            pw, ph = int(0.2 * W), int(0.27 * W)
        ph = max(ph, int(12 * mm))
        portrait = _portrait(rng, pw, ph, data_dir)
        page.paste(Image.fromarray(cv2.cvtColor(portrait, cv2.COLOR_BGR2RGB)), (px, py))
        portrait_box = (px, py, pw, ph)
        x = px + pw + int(4 * mm)
        label, value = _font("sans", 1.9 * mm), _font("sans", 2.9 * mm)
        if fmt == "FRA_ID":
            rows = [("Nom", h["surname"]), ("Prénom(s)", h["given"].replace(" ", ", ")),
                    ("Sexe", "F" if h["sex"] not in "MF" else h["sex"]),
                    ("Né(e) le", f"{h['birth'][2]:02d}.{h['birth'][1]:02d}.{h['birth'][0]:04d}"),
                    ("Carte N°", h["fra_number"])]
        else:
            rows = [("Surname / Nom", h["surname"]), ("Given names / Prénoms", h["given"]),
                    ("Date of birth / Date de naissance", _printed_date(h["birth"], style)),
                    ("Date of expiry / Date d'expiration", _printed_date(h["expiry"], style)),
                    ("Document No. / No. du document" if fmt != "TD3" else "Passport No. / No. du passeport",
                     h["number"])]
            if fmt in ("MRV_A", "MRV_B"):
                rows[3] = ("Valid until / Date of expiry", _printed_date(h["expiry"], style))
        y = py
        step = (mrz_top - py - 3 * mm) / len(rows) if fmt in ("TD1", "FRA_ID") else min(
            8.5 * mm, (mrz_top - py - 3 * mm) / len(rows))
        for lab, val in rows:
            _text(draw, (x, int(y)), lab, label, (70, 70, 90))
            _text(draw, (x, int(y + 2.4 * mm)), val, value)
            y += step
    else:
        _text(draw, (int(4 * mm), int(3 * mm)), "Address / Adresse", _font("sans", 1.9 * mm), (70, 70, 90))
        _text(draw, (int(4 * mm), int(5.5 * mm)), f"{rng.randint(1, 99)} RUE DE LA PAIX", _font("sans", 2.8 * mm))
        _text(draw, (int(4 * mm), int(10 * mm)), "Authority / Autorité", _font("sans", 1.9 * mm), (70, 70, 90))
        _text(draw, (int(4 * mm), int(12.5 * mm)), "MAIRIE DE UTOPIA", _font("sans", 2.8 * mm))
    if side == "mrz":
        ocrb = _font("ocrb", 100)
        advance = ocrb.getlength("<" * 44) / 44 / 100
        # The French card prints 36 characters on an ID-1 card: a narrower pitch.
        pitch_mm = min(MRZ_PITCH_MM, (wmm - 6.0) / len(lines[0]))
        size = pitch_mm * mm / advance
        font = _font("ocrb", size)
        n = len(lines)
        x0 = (W - pitch_mm * mm * len(lines[0])) / 2
        bottom = H - 2.2 * mm
        for i, line in enumerate(lines):
            baseline = bottom - (n - 1 - i) * MRZ_LINE_MM * line_spacing * mm
            top = baseline - size * 0.75
            for k, ch in enumerate(line):
                draw.text((x0 + k * pitch_mm * mm, top), ch, font=font, fill=(15, 15, 15))
    return cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR), printed, portrait_box


# ----------------------------------------------------------------- photographing it


def _background(rng: random.Random, w: int, h: int, data_dir: Path) -> np.ndarray:
    scenes = _backgrounds(str(data_dir)) if _data_present(str(data_dir)) else ()
    if scenes and rng.random() < 0.8:
        scene = scenes[rng.randrange(len(scenes))]
        k = rng.randrange(4)
        scene = np.ascontiguousarray(np.rot90(scene, k))
        sh, sw = scene.shape[:2]
        crop_w = rng.randint(int(0.5 * sw), sw)
        crop_h = min(sh, int(crop_w * h / w))
        x, y = rng.randint(0, sw - crop_w), rng.randint(0, sh - crop_h)
        return cv2.resize(scene[y:y + crop_h, x:x + crop_w], (w, h), interpolation=cv2.INTER_LINEAR)
    base = np.array([rng.randint(30, 200) for _ in range(3)], np.float32)
    noise = cv2.GaussianBlur(np.random.default_rng(rng.randrange(1 << 30)).normal(0, 25, (h, w)).astype(np.float32),
                             (0, 0), rng.uniform(2, 12))
    return np.clip(base + noise[..., None], 0, 255).astype(np.uint8)


def _photograph(doc: np.ndarray, rng: random.Random, data_dir: Path, variant: str, out_size: tuple[int, int],
                fill: tuple[float, float] = (0.55, 0.85)) -> tuple[np.ndarray, np.ndarray]:
    """The flat document laid on a scene and photographed: (image, document corners in it)."""
    W, H = out_size
    dh, dw = doc.shape[:2]
    scale_fill = rng.uniform(*fill) if variant != "far" else rng.uniform(0.16, 0.24)
    angle = rng.uniform(-20, 20) + (rng.choice((0, 0, 0, 90, 180, 270)) if variant == "usable" else 0)
    if W < H and rng.random() < 0.7:
        angle += 90  # a portrait frame: the card turned to fill it
    long_px = scale_fill * max(W, H)
    s = long_px / max(dw, dh)
    corners = np.array([[0, 0], [dw, 0], [dw, dh], [0, dh]], np.float32) * s
    corners -= corners.mean(axis=0)
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    corners = corners @ rot.T
    # Perspective: each corner moved along the view, up to ~12% of the size.
    jitter = 0.12 * long_px
    corners += np.array([[rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter)] for _ in range(4)], np.float32)
    span = corners.max(axis=0) - corners.min(axis=0)
    if variant != "partial":
        # Turned and leaning, the document must still fit the frame with a margin.
        shrink = min(1.0, 0.94 * W / span[0], 0.94 * H / span[1])
        corners *= shrink
        span *= shrink
    if variant == "partial":
        # Off-centre so that a good part of the document leaves the frame.
        cx = rng.choice((-0.1, 1.1)) * W if rng.random() < 0.5 else rng.uniform(0.3, 0.7) * W
        cy = rng.uniform(0.3, 0.7) * H if abs(cx - W / 2) > 0.3 * W else rng.choice((-0.1, 1.1)) * H
        corners += np.array([cx, cy], np.float32)
    else:
        # Inside the frame with a margin.
        free = np.maximum(np.array([W, H], np.float32) - span, 8)
        offset = np.array([rng.uniform(0.1, 0.9) * free[0], rng.uniform(0.1, 0.9) * free[1]], np.float32)
        corners += offset - corners.min(axis=0)
    src = np.array([[0, 0], [dw, 0], [dw, dh], [0, dh]], np.float32)
    m = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    scene = _background(rng, W, H, data_dir)
    warped = cv2.warpPerspective(doc, m, (W, H), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((dh, dw), 255, np.uint8), m, (W, H))
    mask = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[..., None] / 255.0
    # A soft shadow under the card.
    shadow = cv2.GaussianBlur(cv2.warpPerspective(np.full((dh, dw), 255, np.uint8), m, (W, H)), (0, 0), 6)
    shadow = cv2.warpAffine(shadow, np.float32([[1, 0, 4], [0, 1, 5]]), (W, H)).astype(np.float32)[..., None] / 255
    img = scene.astype(np.float32) * (1 - 0.35 * shadow)
    img = img * (1 - mask) + warped.astype(np.float32) * mask
    # Light: a gradient across the frame, a colour cast.
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    grad = 1 + rng.uniform(0.0, 0.3) * (gx * (xx / W - 0.5) + gy * (yy / H - 0.5))
    img *= grad[..., None] * np.array([rng.uniform(0.9, 1.1) for _ in range(3)], np.float32) * rng.uniform(0.85, 1.1)
    if variant == "glare":
        # A specular reflection over the printed fields / MRZ.
        centre = corners.mean(axis=0) + rng.uniform(-0.15, 0.15) * span
        r = rng.uniform(0.12, 0.2) * max(span)
        blob = np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * (r / 2) ** 2))
        img = img + 400 * np.clip(blob * 1.6 - 0.2, 0, 1)[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    if variant == "blurry":
        k = rng.choice((9, 11, 13))
        img = cv2.GaussianBlur(img, (k, k), 0)
    elif rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    else:  # a little motion
        n = rng.choice((1, 3))
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2, :] = 1.0 / n
        img = cv2.filter2D(img, -1, kernel)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(1, 4), img.shape)
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return img, corners


def _jpeg(img: np.ndarray, rng: random.Random, lo: int = 55, hi: int = 95) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(lo, hi)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img


def generate(seed: int, *, fmt: str | None = None, kind: str | None = None, capture: str = "usable",
             invalid: bool | None = None, data_dir: Path = DATA_DIR) -> Synthetic:
    """One synthetic document image (see the module doc). Deterministic in its arguments."""
    rng = random.Random(seed)
    fmt = fmt or rng.choices(FORMATS, FORMAT_WEIGHTS)[0]
    kind = kind or (rng.choices(KINDS, KIND_WEIGHTS)[0] if capture == "usable" else "photo")
    if kind == "two_sides" and fmt not in ("TD1", "FRA_ID", "TD2"):
        fmt = rng.choice(("TD1", "TD1", "TD2"))
    invalid = rng.random() < INVALID_SHARE if invalid is None else invalid
    h = _holder(rng)
    h["admin"] = f"{rng.randint(1, 95):02d}{rng.randint(0, 9)}{rng.randint(0, 999):03d}"
    h["fra_number"] = f"{rng.randint(0, 20):02d}{rng.randint(1, 12):02d}{h['admin'][:3]}{rng.randint(0, 99999):05d}"
    if fmt == "FRA_ID":
        h["surname"] = h["surname"][:25]
    lines = make_mrz(fmt, h)
    if invalid:
        lines = _break_a_digit(lines, fmt, rng)
    spacing = rng.uniform(1.9, 2.8) if kind == "wide_spacing" else rng.uniform(0.95, 1.1)
    px_mm = rng.uniform(9, 14) if kind != "small" else 8
    doc, printed, portrait = draw_document(fmt, lines, h, rng, px_mm, data_dir, line_spacing=spacing)
    quad = None
    notes: dict[str, object] = {"line_spacing": round(spacing, 2), "portrait_box": portrait,
                                "printed_visible": fmt != "TD1" or kind == "two_sides"}
    if kind == "scan" or kind == "wide_spacing" and rng.random() < 0.5:
        pad = rng.randint(0, 40)
        img = cv2.copyMakeBorder(doc, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(245, 245, 245))
        angle = rng.uniform(-4, 4) + rng.choice((0, 0, 0, 90, 180))
        img = _rotate_bound(img, angle)
        img = _jpeg(img, rng, 70, 95)
    elif kind == "small":
        # A small web image of a passport page: ~397 x 266 pixels.
        target_w = rng.randint(380, 420)
        img = cv2.resize(doc, (target_w, int(doc.shape[0] * target_w / doc.shape[1])), interpolation=cv2.INTER_AREA)
        img = _jpeg(img, rng, 75, 95)
    elif kind == "two_sides":
        front, _, portrait = draw_document(fmt, lines, h, rng, px_mm, data_dir, line_spacing=spacing, side="front") \
            if fmt == "TD1" else (doc, printed, portrait)
        back = doc
        if fmt != "TD1":  # a card with the MRZ on its front: both sides, the other being the back
            back, _, _ = draw_document(fmt, lines, h, rng, px_mm, data_dir, side="back")
            front = doc
        gap = rng.randint(10, 60)
        side_by_side = rng.random() < 0.5
        bg = (rng.randint(200, 255),) * 3
        if side_by_side:
            hh = max(front.shape[0], back.shape[0])
            canvas = np.full((hh + 2 * gap, front.shape[1] + back.shape[1] + 3 * gap, 3), bg, np.uint8)
            canvas[gap:gap + front.shape[0], gap:gap + front.shape[1]] = front
            canvas[gap:gap + back.shape[0], 2 * gap + front.shape[1]:2 * gap + front.shape[1] + back.shape[1]] = back
        else:
            ww = max(front.shape[1], back.shape[1])
            canvas = np.full((front.shape[0] + back.shape[0] + 3 * gap, ww + 2 * gap, 3), bg, np.uint8)
            canvas[gap:gap + front.shape[0], gap:gap + front.shape[1]] = front
            canvas[2 * gap + front.shape[0]:2 * gap + front.shape[0] + back.shape[0], gap:gap + back.shape[1]] = back
        scale = rng.uniform(0.5, 0.9)
        img = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        img = _jpeg(img, rng, 70, 95)
    else:
        size = rng.choice(((1280, 960), (960, 1280), (1600, 1200), (1280, 720), (720, 1280)))
        img, quad = _photograph(doc, rng, data_dir, capture, size)
        img = _jpeg(img, rng, 60, 92)
        kind = "photo" if kind != "wide_spacing" else kind
    return Synthetic(img, lines, fmt, not invalid, kind, printed, quad, capture, seed, notes)


def _rotate_bound(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=(245, 245, 245))


def generate_set(n: int, seed: int = 1000, data_dir: Path = DATA_DIR) -> list[Synthetic]:
    """n documents of every format and kind (the evaluation's --generated N)."""
    return [generate(seed + i, data_dir=data_dir) for i in range(n)]


def capture_photos(n: int, seed: int = 5000, data_dir: Path = DATA_DIR) -> Iterator[Synthetic]:
    """n phone photos for the capture assessment, cycling through CAPTURE_VARIANTS, one at a time
    (200 photos held at once are ~1 GB)."""
    for i in range(n):
        yield generate(seed + i, kind="photo", capture=CAPTURE_VARIANTS[i % len(CAPTURE_VARIANTS)], invalid=False,
                       data_dir=data_dir)


def capture_set(n: int, seed: int = 5000, data_dir: Path = DATA_DIR) -> list[Synthetic]:
    """capture_photos as a list."""
    return list(capture_photos(n, seed, data_dir))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="a folder outside the repository to write a few images into")
    ap.add_argument("-n", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--capture", action="store_true", help="the capture variants instead")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    docs = capture_set(args.n, args.seed) if args.capture else generate_set(args.n, args.seed)
    for d in docs:
        name = f"{d.seed}_{d.format}_{d.kind}_{d.capture}{'' if d.valid_as_printed else '_invalid'}.jpg"
        cv2.imwrite(str(args.out / name), d.image)
        print(name, "|".join(d.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
