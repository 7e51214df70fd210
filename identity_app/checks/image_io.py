"""Turn uploaded or captured image bytes into a BGR numpy array, safely.

The file type is decided by the content's magic bytes, never by the file
name; only JPEG, PNG and WebP are accepted. The declared pixel count is
checked from the header before any pixel is decoded, so a small file that
would decompress to gigabytes (a "decompression bomb") is refused cheaply.
EXIF orientation is applied and every piece of metadata (EXIF, GPS, ICC,
comments) is dropped: only pixels leave this module.
"""
from __future__ import annotations

import io
import warnings
from enum import Enum

import numpy as np

# Defaults sized for phone photos of a document: 12 MB, 40 megapixels.
DEFAULT_MAX_BYTES = 12 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


class DecodeFailure(str, Enum):
    """Why bytes could not become an image. All map to the domain's
    IMAGE_CORRUPTED reason except the size limits, which the upload form
    can explain more precisely."""

    EMPTY = "EMPTY"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"     # not JPEG/PNG/WebP by content
    FILE_TOO_LARGE = "FILE_TOO_LARGE"         # more bytes than max_bytes
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"       # decompression bomb or huge image
    CORRUPTED = "CORRUPTED"                   # the decoder failed or data is truncated

    @property
    def domain_reason(self) -> str:
        return "IMAGE_CORRUPTED"


class ImageDecodeError(ValueError):
    """Raised by `decode_image`; `reason` is a `DecodeFailure`."""

    def __init__(self, reason: DecodeFailure, message: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason.value}: {message}" if message else reason.value)


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


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode JPEG/PNG/WebP bytes to an upright uint8 BGR array (H, W, 3).

    Raises ImageDecodeError with a DecodeFailure reason; never returns
    metadata. Transparent images are composited on white (a document photo
    with an alpha channel should read as on paper, not on black).
    """
    from PIL import Image, ImageOps  # lazily: keep web-server imports light

    if not data:
        raise ImageDecodeError(DecodeFailure.EMPTY)
    if len(data) > max_bytes:
        raise ImageDecodeError(DecodeFailure.FILE_TOO_LARGE, f"{len(data)} bytes > {max_bytes}")
    expected = sniff_format(data)
    if expected is None:
        raise ImageDecodeError(DecodeFailure.UNSUPPORTED_TYPE, "not JPEG, PNG or WebP by content")

    with warnings.catch_warnings():
        # Pillow warns (not raises) between 1x and 2x its own bomb limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[expected]) as img:
                width, height = img.size  # from the header only, nothing decoded yet
                if width <= 0 or height <= 0:
                    raise ImageDecodeError(DecodeFailure.CORRUPTED, "empty dimensions")
                if width * height > max_pixels:
                    raise ImageDecodeError(
                        DecodeFailure.TOO_MANY_PIXELS, f"{width}x{height} > {max_pixels} pixels"
                    )
                img.load()
                upright = ImageOps.exif_transpose(img)
                rgb = _to_rgb(upright)
        except ImageDecodeError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageDecodeError(DecodeFailure.TOO_MANY_PIXELS, str(exc)) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # Pillow reports truncated or malformed data as OSError/SyntaxError.
            raise ImageDecodeError(DecodeFailure.CORRUPTED, type(exc).__name__) from None

    array = np.asarray(rgb, dtype=np.uint8)
    return np.ascontiguousarray(array[:, :, ::-1])  # RGB -> BGR for OpenCV


def _to_rgb(img):
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: scale 0..65535 down instead of clipping to white.
        arr = np.clip(np.asarray(img, dtype=np.float64) / 257.0, 0, 255)
        return Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    return img.convert("RGB")
