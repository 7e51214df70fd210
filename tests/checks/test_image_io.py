"""decode_image on real and deliberately hostile bytes."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from identity_app.checks.image_io import DecodeFailure, ImageDecodeError, decode_image, sniff_format

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _bytes(folder: str, name: str) -> bytes:
    path = DATA / folder / name
    if not path.is_file():
        pytest.skip(f"evaluation image {path} is absent (see ../shared/data/README.md)")
    return path.read_bytes()


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def test_it_decodes_a_real_jpeg_and_png_to_bgr():
    jpeg = decode_image(_bytes("mrz-passporteye", "tests_data/passport-td3.jpg"))
    png = decode_image(_bytes("mrz-passporteye", "tests_data/passport-td3.png"))
    assert jpeg.shape == png.shape == (880, 1334, 3)
    assert jpeg.dtype == np.uint8
    # Same picture in both formats: pixels agree up to JPEG loss.
    assert float(np.abs(jpeg.astype(int) - png.astype(int)).mean()) < 6


def test_it_returns_bgr_channel_order():
    red = _encode(Image.new("RGB", (8, 8), (255, 0, 0)), "PNG")
    assert decode_image(red)[0, 0].tolist() == [0, 0, 255]


def test_it_decodes_webp():
    data = _encode(Image.new("RGB", (20, 10), (0, 128, 0)), "WEBP", lossless=True)
    assert sniff_format(data) == "WEBP"
    assert decode_image(data).shape == (10, 20, 3)


def test_it_applies_exif_orientation_and_drops_metadata():
    # A landscape picture whose EXIF says "rotate 90 CW to display" (6).
    img = Image.new("RGB", (60, 20), (255, 255, 255))
    img.paste((0, 0, 0), (0, 0, 10, 20))  # black band on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"  # any other metadata must vanish
    data = _encode(img, "JPEG", exif=exif.tobytes(), quality=95)
    out = decode_image(data)
    assert out.shape[:2] == (60, 20)  # now portrait
    assert out[:10].mean() < 60 and out[-10:].mean() > 200  # the left band is now on top
    assert isinstance(out, np.ndarray)  # pixels only, nothing to leak


def test_it_rejects_corrupt_bytes():
    data = bytearray(_bytes("mrz-passporteye", "testdata/100_pass-cze.jpg"))
    truncated = bytes(data[:2000])
    with pytest.raises(ImageDecodeError) as err:
        decode_image(truncated)
    assert err.value.reason is DecodeFailure.CORRUPTED
    assert err.value.reason.domain_reason == "IMAGE_CORRUPTED"


def test_it_rejects_garbage_after_a_valid_magic():
    with pytest.raises(ImageDecodeError) as err:
        decode_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert err.value.reason is DecodeFailure.CORRUPTED


def test_it_rejects_a_text_file_renamed_jpg(tmp_path):
    fake = tmp_path / "passport.jpg"
    fake.write_text("this is not an image, whatever the name says\n")
    with pytest.raises(ImageDecodeError) as err:
        decode_image(fake.read_bytes())
    assert err.value.reason is DecodeFailure.UNSUPPORTED_TYPE


def test_it_rejects_formats_outside_the_allow_list_by_content():
    gif = _encode(Image.new("RGB", (4, 4)), "GIF")
    with pytest.raises(ImageDecodeError) as err:
        decode_image(gif)
    assert err.value.reason is DecodeFailure.UNSUPPORTED_TYPE


def test_it_rejects_a_png_decompression_bomb_before_decoding():
    # 100 megapixels that compress to a few kB.
    bomb = _encode(Image.new("1", (10_000, 10_000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(ImageDecodeError) as err:
        decode_image(bomb, max_pixels=40_000_000)
    assert err.value.reason is DecodeFailure.TOO_MANY_PIXELS


def test_it_rejects_too_many_bytes_and_empty_input():
    data = _bytes("mrz-passporteye", "testdata/100_pass-cze.jpg")
    with pytest.raises(ImageDecodeError) as err:
        decode_image(data, max_bytes=len(data) - 1)
    assert err.value.reason is DecodeFailure.FILE_TOO_LARGE
    with pytest.raises(ImageDecodeError) as err:
        decode_image(b"")
    assert err.value.reason is DecodeFailure.EMPTY


def test_it_puts_transparent_pixels_on_white():
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert decode_image(_encode(rgba, "PNG"))[0, 0].tolist() == [255, 255, 255]
