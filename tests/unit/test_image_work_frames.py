"""Streamed liveness frames take a fast decode only when it gives the hardened decoder's pixels (issue 13)."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from identity_app.checks import image_work
from identity_app.checks.image_io import ImageDecodeError, ImageLimits, decode_image

LIMITS = ImageLimits(max_bytes=400 * 1024, max_pixels=1280 * 960, max_side=1600)


def _scene(w: int = 480, h: int = 360) -> np.ndarray:
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 4)
    cv2.circle(image, (w // 2, h // 2), h // 4, (40, 90, 200), -1)
    cv2.rectangle(image, (10, 10), (w // 3, h // 5), (250, 250, 250), -1)
    return image


def _jpeg(image: np.ndarray, quality: int = 85, progressive: bool = False) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                        cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)])[1].tobytes()


@pytest.mark.parametrize("progressive", [False, True])
def test_a_camera_frame_is_plain_and_decodes_to_the_hardened_decoders_pixels(progressive):
    data = _jpeg(_scene(), progressive=progressive)
    assert image_work.plain_jpeg_size(data) == (480, 360)
    assert np.array_equal(image_work.decode_frame(data, LIMITS), decode_image(data))


def test_a_frame_with_exif_orientation_is_not_plain_and_is_turned_upright():
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    Image.fromarray(_scene()[:, :, ::-1]).save(buf, "JPEG", quality=85, exif=exif.tobytes())
    data = buf.getvalue()
    assert image_work.plain_jpeg_size(data) is None
    image = image_work.decode_frame(data, LIMITS)
    assert image.shape == (480, 360, 3)
    assert np.array_equal(image, decode_image(data))


def test_grey_png_and_truncated_frames_go_through_the_hardened_decoder():
    grey = cv2.imencode(".jpg", cv2.cvtColor(_scene(), cv2.COLOR_BGR2GRAY))[1].tobytes()
    assert image_work.plain_jpeg_size(grey) is None
    assert image_work.decode_frame(grey, LIMITS).shape == (360, 480, 3)
    png = cv2.imencode(".png", _scene())[1].tobytes()
    assert np.array_equal(image_work.decode_frame(png, LIMITS), decode_image(png))
    data = _jpeg(_scene())
    cut = data[: len(data) // 2]
    assert image_work.plain_jpeg_size(cut) is None  # no EOI
    with pytest.raises(ImageDecodeError):
        decode_image(cut)
    with pytest.raises(ImageDecodeError):
        image_work.decode_frame(cut, LIMITS)


def test_a_frame_over_the_limits_is_refused_before_any_decoding():
    data = _jpeg(_scene(1700, 400))
    assert image_work.plain_jpeg_size(data) == (1700, 400)
    with pytest.raises(ImageDecodeError) as refused:
        image_work.decode_frame(data, LIMITS)
    assert refused.value.reason.value == "BAD_DIMENSIONS"


def test_a_frame_whose_header_lies_about_its_size_is_not_plain():
    data = bytearray(_jpeg(_scene()))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = (100).to_bytes(2, "big") + (120).to_bytes(2, "big")  # 120 x 100 declared
    assert image_work.plain_jpeg_size(bytes(data)) == (120, 100)
    # Whatever the decoders make of it, the fast path never hands back pixels of another size.
    try:
        image = image_work.decode_frame(bytes(data), LIMITS)
    except ImageDecodeError:
        return
    assert image.shape[:2] == (100, 120)


def test_a_camera_document_photo_is_decoded_as_by_the_hardened_decoder_and_re_encoded():
    limits = ImageLimits()
    from tests import capture_media as cm

    data = cm.jpeg(cm.document_frame(), 92)
    assert image_work.plain_jpeg_size(data) is not None
    assert np.array_equal(image_work.decode_frame(data, limits), decode_image(data))
    from identity_app.checks.image_io import encode_jpeg
    from identity_app.checks.image_quality import assess_quality

    photo = image_work.document_photo(data, limits, 92)
    hardened = decode_image(data)
    assert photo["ok"] == assess_quality(hardened).ok  # the same verdict, and the same stored bytes
    assert photo["ok"] and photo["jpeg"] == encode_jpeg(hardened, 92) != data
