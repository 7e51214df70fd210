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


# ---------------------------------------------------------------- header limits (issue 9, finding 1)

import resource  # noqa: E402
import time  # noqa: E402

from identity_app.checks.image_io import ImageLimits, check_header  # noqa: E402
from tests import hostile_images as hi  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_68_byte_png_of_1_x_39999999_pixels_is_refused_from_its_header():
    # Before: under the 40 MP limit, so Pillow decoded it: 1.4 GB and seconds of CPU per request.
    bomb = hi.finding_png()
    assert len(bomb) < 70
    peak_before, t0 = _peak_rss_mb(), time.perf_counter()
    with pytest.raises(ImageDecodeError) as err:
        decode_image(bomb)
    assert err.value.reason is DecodeFailure.BAD_DIMENSIONS
    assert time.perf_counter() - t0 < 0.05
    assert _peak_rss_mb() - peak_before < 20  # nothing was allocated for its pixels
    with pytest.raises(ImageDecodeError):
        check_header(bomb)


@pytest.mark.parametrize("aspect", hi.ASPECTS)
@pytest.mark.parametrize("make", [hi.png, hi.jpeg_header, hi.webp_vp8x, hi.webp_vp8l, hi.webp_vp8],
                         ids=["png", "jpeg", "webp-vp8x", "webp-vp8l", "webp-vp8"])
def test_header_only_bombs_of_every_aspect_ratio_are_judged_from_the_header(make, aspect):
    limits = ImageLimits()
    caps = {hi.jpeg_header: 65535, hi.webp_vp8x: 1 << 24, hi.webp_vp8l: 16384, hi.webp_vp8: 16383}
    for area in (hi.AREA_JUST_UNDER, 400_000_000):
        long, short = hi.dims_for(aspect, area)
        for w, h in ((long, short), (short, long)):
            if max(w, h) > caps.get(make, 2**31 - 1):
                continue  # the format cannot declare it
            data = make(w, h)
            fits = w * h <= limits.max_pixels and max(w, h) <= limits.max_side and max(w, h) <= 8 * min(w, h)
            if fits:
                header = check_header(data, limits)
                assert (header.width, header.height) == (w, h)
                continue
            with pytest.raises(ImageDecodeError) as err:
                check_header(data, limits)
            expected = DecodeFailure.TOO_MANY_PIXELS if w * h > limits.max_pixels else DecodeFailure.BAD_DIMENSIONS
            assert err.value.reason is expected, (w, h)
            with pytest.raises(ImageDecodeError) as err:  # and decode_image refuses it the same way
                decode_image(data)
            assert err.value.reason is expected


def test_a_webp_canvas_is_checked_before_libwebp_allocates_it():
    # libwebp allocates two canvases of 4 bytes per pixel when the file is opened: 9,000 x 9,000 is 650 MB.
    data = hi.webp_vp8x(9_000, 9_000)
    assert check_header(data, ImageLimits(max_pixels=100_000_000, max_side=20_000)).width == 9_000
    peak_before = _peak_rss_mb()
    with pytest.raises(ImageDecodeError) as err:
        decode_image(data)
    assert err.value.reason is DecodeFailure.TOO_MANY_PIXELS
    assert _peak_rss_mb() - peak_before < 20


def test_limits_on_sides_and_aspect_ratio():
    strict = ImageLimits(max_pixels=1_000_000, max_side=2_000, max_aspect=4)
    check_header(hi.png(2_000, 500), strict)  # 4:1, 1 MP: just fits
    for w, h, reason in ((2_001, 499, DecodeFailure.BAD_DIMENSIONS), (1_000, 1_001, DecodeFailure.TOO_MANY_PIXELS),
                         (1_000, 249, DecodeFailure.BAD_DIMENSIONS), (0, 10, DecodeFailure.CORRUPTED)):
        with pytest.raises(ImageDecodeError) as err:
            check_header(hi.png(w, h), strict)
        assert err.value.reason is reason, (w, h)


def test_a_jpeg_whose_frame_headers_disagree_is_refused():
    real = _encode(Image.new("RGB", (64, 48), (10, 200, 30)), "JPEG")
    with pytest.raises(ImageDecodeError) as err:
        decode_image(hi.jpeg_two_sizes(real, (1, 60_000)))
    assert err.value.reason is DecodeFailure.CORRUPTED


def test_a_png_with_a_second_header_declaring_a_bomb_is_refused():
    real = _encode(Image.new("RGB", (64, 48), (10, 200, 30)), "PNG")
    import struct

    second = struct.pack(">IIBBBBB", 1, hi.AREA_JUST_UNDER, 8, 2, 0, 0, 0)
    with pytest.raises(ImageDecodeError) as err:
        decode_image(hi.png_with_chunks(real, [(b"IHDR", second)]))
    assert err.value.reason is DecodeFailure.CORRUPTED


def test_text_and_icc_chunk_bombs_are_refused_without_inflating_them():
    real = _encode(Image.new("RGB", (64, 48), (10, 200, 30)), "PNG")
    peak_before = _peak_rss_mb()
    for chunk in ((b"zTXt", hi.ztxt_bomb(16)), (b"iCCP", hi.iccp_bomb(16))):
        with pytest.raises(ImageDecodeError) as err:
            decode_image(hi.png_with_chunks(real, [chunk]))
        assert err.value.reason is DecodeFailure.CORRUPTED
    assert _peak_rss_mb() - peak_before < 20


def test_exif_bombs_are_ignored_and_only_the_orientation_is_read():
    img = Image.new("RGB", (60, 20), (255, 255, 255))
    img.paste((0, 0, 0), (0, 0, 10, 20))
    jpeg = _encode(img, "JPEG", quality=95)
    # Orientation 6 in a block of 3,000 entries: read (the block fits 64 kB).
    assert decode_image(hi.jpeg_with_segments(jpeg, [(0xE1, hi.exif_blob(3000))])).shape[:2] == (60, 20)
    # Looping IFDs and offsets past the end: the orientation still comes out or the block is ignored.
    for blob in (hi.exif_blob(10, loop=True), hi.exif_blob(500, bad_offsets=True)):
        assert decode_image(hi.jpeg_with_segments(jpeg, [(0xE1, blob)])).shape[:2] in ((60, 20), (20, 60))
    # A 5 MB EXIF block in a PNG is not parsed at all: upright as stored.
    big = _encode(img, "PNG", exif=hi.exif_blob(65534, padding=4_000_000))
    assert len(big) > 4_000_000
    assert decode_image(big).shape[:2] == (20, 60)


def test_every_hostile_input_is_refused_with_a_reason_or_decoded_to_clean_pixels():
    frame = np.full((240, 320, 3), 90, np.uint8)
    frame[60:180, 40:280] = (230, 220, 210)
    corpus = hi.corpus({"card": frame})
    assert len(corpus) > 350
    reasons = set()
    for name, data in corpus:
        try:
            out = decode_image(data, max_bytes=15 * 1024 * 1024)
        except ImageDecodeError as exc:
            reasons.add(exc.reason)
            continue
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3, name
    assert reasons == set(DecodeFailure) - {DecodeFailure.FILE_TOO_LARGE}
