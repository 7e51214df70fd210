"""Turn uploaded or captured image bytes into a BGR numpy array, safely.

The file type is decided by the content's magic bytes, never by the file
name; only JPEG, PNG and WebP are accepted. Width, height, area and aspect
ratio are read from the header by this module's own parser (`check_header`)
and checked before Pillow sees the bytes, so a small file that would
decompress to gigabytes (a "decompression bomb", e.g. a 69-byte PNG of
1 x 39,999,999 pixels) is refused in microseconds; for WebP this matters
doubly, because libwebp allocates the canvas as soon as the file is opened.
EXIF orientation is applied (from an EXIF block of at most MAX_EXIF_BYTES)
and every piece of metadata (EXIF, GPS, ICC, text chunks, comments) is
dropped: only pixels leave this module.

Decoding still costs up to about 3 bytes x max_pixels twice over, so the
application runs `decode_image` in a pool of child processes with a memory
cap (identity_app/image_pool.py), never in the web server; `check_header`
alone is cheap enough to run anywhere.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import numpy as np

# Defaults sized for phone photos of a document: 12 MB, 40 megapixels, no side
# over 10,000 px (a 40 MP photo is about 7,300 x 5,500), no stripe longer than 8:1.
DEFAULT_MAX_BYTES = 12 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 10_000
DEFAULT_MAX_ASPECT = 8.0
# EXIF is only read for its orientation; a bigger block (PNG eXIf and WebP EXIF
# chunks are not bounded by the format) is ignored rather than parsed.
MAX_EXIF_BYTES = 64 * 1024
# PNG text (tEXt/zTXt/iTXt) and ICC chunks are dropped anyway: cap what Pillow
# may inflate while reading them (its defaults: 1 MB per chunk, 64 MB in all).
PNG_MAX_TEXT_CHUNK = 512 * 1024
PNG_MAX_TEXT_MEMORY = 2 * 1024 * 1024


class DecodeFailure(str, Enum):
    """Why bytes could not become an image. All map to the domain's
    IMAGE_CORRUPTED reason except the size limits, which the upload form
    can explain more precisely."""

    EMPTY = "EMPTY"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"     # not JPEG/PNG/WebP by content
    FILE_TOO_LARGE = "FILE_TOO_LARGE"         # more bytes than max_bytes
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"       # decompression bomb or huge image
    BAD_DIMENSIONS = "BAD_DIMENSIONS"         # a side over max_side, or longer than max_aspect:1
    CORRUPTED = "CORRUPTED"                   # the decoder failed or data is truncated

    @property
    def domain_reason(self) -> str:
        return "IMAGE_CORRUPTED"


class ImageDecodeError(ValueError):
    """Raised by `decode_image`; `reason` is a `DecodeFailure`."""

    def __init__(self, reason: DecodeFailure, message: str = "") -> None:
        self.reason = reason
        self.detail = message
        super().__init__(f"{reason.value}: {message}" if message else reason.value)


@dataclass(frozen=True)
class ImageLimits:
    """What an accepted image may declare in its header, all checked before decoding."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_side: int = DEFAULT_MAX_SIDE
    max_aspect: float = DEFAULT_MAX_ASPECT


@dataclass(frozen=True)
class ImageHeader:
    format: str   # JPEG, PNG or WEBP
    width: int
    height: int


_FORMAT_BY_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


def sniff_format(data: bytes) -> str | None:
    """'JPEG', 'PNG' or 'WEBP' from the leading bytes, else None."""
    for magic, name in _FORMAT_BY_MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


# ------------------------------------------------------------------ headers

# Start-of-frame markers (baseline, extended, progressive, lossless, arithmetic); not DHT (C4), JPG (C8), DAC (CC).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})


def _corrupt(message: str) -> ImageDecodeError:
    return ImageDecodeError(DecodeFailure.CORRUPTED, message)


def _png_size(data: bytes) -> tuple[int, int]:
    # IHDR is the first chunk (PNG spec): length 13 at byte 8, width and height at 16 and 20.
    if len(data) < 33 or data[12:16] != b"IHDR" or struct.unpack(">I", data[8:12])[0] != 13:
        raise _corrupt("no IHDR chunk first")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the markers up to the first scan; every frame header must declare the same size."""
    sizes, pos, n = set(), 2, len(data)
    while pos < n:
        if data[pos] != 0xFF:  # junk between segments: libjpeg skips to the next marker too
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                break
            pos = nxt
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        if marker in _JPEG_STANDALONE:
            pos += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header can follow before pixels
            break
        if pos + 3 > n:
            break
        length = struct.unpack(">H", data[pos + 1:pos + 3])[0]
        if length < 2:
            raise _corrupt("bad JPEG segment length")
        if marker in _JPEG_SOF:
            if length < 7 or pos + 8 > n:
                raise _corrupt("short JPEG frame header")
            height, width = struct.unpack(">HH", data[pos + 4:pos + 8])
            sizes.add((width, height))
        pos += 1 + length
    if not sizes:
        raise _corrupt("no JPEG frame header before the first scan")
    if len(sizes) > 1:
        raise _corrupt("JPEG frame headers disagree on the size")
    return sizes.pop()


def _webp_size(data: bytes) -> tuple[int, int]:
    if len(data) < 30:
        raise _corrupt("short WebP header")
    chunk = data[12:16]
    if chunk == b"VP8 ":  # lossy: key frame start code, then 14-bit width and height
        if data[23:26] != b"\x9d\x01\x2a":
            raise _corrupt("bad VP8 start code")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature, then 14-bit (width - 1) and (height - 1)
        if data[20] != 0x2F:
            raise _corrupt("bad VP8L signature")
        bits = struct.unpack("<I", data[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit (canvas width - 1) and (height - 1); libwebp allocates this canvas
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise _corrupt("unknown WebP chunk")


def check_size(width: int, height: int, limits: ImageLimits) -> None:
    """ImageDecodeError unless width x height fits every limit."""
    if width <= 0 or height <= 0:
        raise _corrupt("empty dimensions")
    if width * height > limits.max_pixels:
        raise ImageDecodeError(DecodeFailure.TOO_MANY_PIXELS, f"{width}x{height} > {limits.max_pixels} pixels")
    if max(width, height) > limits.max_side:
        raise ImageDecodeError(DecodeFailure.BAD_DIMENSIONS, f"{width}x{height}: a side over {limits.max_side} px")
    if max(width, height) > limits.max_aspect * min(width, height):
        raise ImageDecodeError(DecodeFailure.BAD_DIMENSIONS,
                               f"{width}x{height}: longer than {limits.max_aspect:g}:1")


def check_header(data: bytes, limits: ImageLimits = ImageLimits()) -> ImageHeader:
    """Type by content and the declared size against `limits`, from the header alone.

    Costs microseconds and allocates nothing in proportion to the image: safe
    on hostile bytes in any process. Raises ImageDecodeError.
    """
    if not data:
        raise ImageDecodeError(DecodeFailure.EMPTY)
    if len(data) > limits.max_bytes:
        raise ImageDecodeError(DecodeFailure.FILE_TOO_LARGE, f"{len(data)} bytes > {limits.max_bytes}")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageDecodeError(DecodeFailure.UNSUPPORTED_TYPE, "not JPEG, PNG or WebP by content")
    width, height = {"PNG": _png_size, "JPEG": _jpeg_size, "WEBP": _webp_size}[fmt](data)
    check_size(width, height, limits)
    return ImageHeader(fmt, width, height)


# ------------------------------------------------------------------ decoding


@lru_cache(maxsize=1)
def _harden_pillow() -> None:
    """Pillow-wide caps on what metadata may cost (this app drops it all anyway)."""
    from PIL import PngImagePlugin

    PngImagePlugin.MAX_TEXT_CHUNK = min(PngImagePlugin.MAX_TEXT_CHUNK, PNG_MAX_TEXT_CHUNK)
    PngImagePlugin.MAX_TEXT_MEMORY = min(PngImagePlugin.MAX_TEXT_MEMORY, PNG_MAX_TEXT_MEMORY)


_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
              6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def _orientation(img) -> int:
    """The EXIF orientation tag (1 = upright). A missing, oversized or broken EXIF block counts as upright:
    metadata never refuses a photo, and only this one tag is ever read from it."""
    from PIL import Image

    raw = img.info.get("exif")
    if not isinstance(raw, (bytes, bytearray)) or not raw or len(raw) > MAX_EXIF_BYTES:
        return 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns once per broken tag: thousands in a crafted block
            exif = Image.Exif()
            exif.load(bytes(raw))
            value = exif.get(0x0112, 1)
        return int(value) if isinstance(value, int) else 1
    except Exception:  # noqa: BLE001 - a malformed EXIF block is ignored, like any other metadata
        return 1


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
    max_aspect: float = DEFAULT_MAX_ASPECT,
) -> np.ndarray:
    """Decode JPEG/PNG/WebP bytes to an upright uint8 BGR array (H, W, 3).

    Raises ImageDecodeError with a DecodeFailure reason; never returns
    metadata. Transparent images are composited on white (a document photo
    with an alpha channel should read as on paper, not on black). Peak
    memory is about 7 bytes per pixel (Pillow's 4-byte pixels and one
    3-byte copy), so 40 MP needs about 300 MB.
    """
    from PIL import Image

    limits = ImageLimits(max_bytes, max_pixels, max_side, max_aspect)
    header = check_header(data, limits)
    _harden_pillow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. one per broken EXIF tag: thousands in a crafted file
        # Pillow warns (not raises) between 1x and 2x its own bomb limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[header.format]) as img:
                # Pillow's own reading of the header must agree with ours before any pixel is decoded.
                if img.size != (header.width, header.height):
                    raise _corrupt(f"header says {header.width}x{header.height}, decoder {img.size}")
                img.load()
                upright = img
                method = _TRANSPOSE.get(_orientation(img))
                if method is not None:
                    upright = img.transpose(getattr(Image.Transpose, method))
                rgb = _to_rgb(upright)
                del upright
                array = np.asarray(rgb, dtype=np.uint8)  # the one copy out of Pillow
                del rgb
        except ImageDecodeError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageDecodeError(DecodeFailure.TOO_MANY_PIXELS, str(exc)) from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
            # Pillow reports truncated or malformed data as OSError/SyntaxError.
            raise ImageDecodeError(DecodeFailure.CORRUPTED, type(exc).__name__) from None
    if array.ndim != 3 or array.shape[2] != 3:
        raise _corrupt(f"unexpected pixel layout {array.shape}")
    return np.ascontiguousarray(array[:, :, ::-1])  # RGB -> BGR for OpenCV, after Pillow's copy is freed


def encode_jpeg(image_bgr: np.ndarray, quality: int = 92) -> bytes:
    """Pixels only: a fresh JPEG carries none of the original's metadata."""
    import cv2

    ok, buf = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise _corrupt("JPEG encoding failed")
    return buf.tobytes()


def _to_rgb(img):
    """An RGB image; `img` itself when it already is one (a 40 MP copy saved)."""
    from PIL import Image

    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: scale 0..65535 down instead of clipping to white.
        arr = np.clip(np.asarray(img, dtype=np.float64) / 257.0, 0, 255)
        return Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    return img.convert("RGB")
