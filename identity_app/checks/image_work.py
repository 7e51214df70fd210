"""The image work of an upload, from hostile bytes to clean pixels, as one call each.

Each function decodes (header limits first, see image_io), judges and
re-encodes, and returns plain values only (dicts of bytes, numbers and
strings): the application runs them in the child processes of
identity_app/image_pool.py, which send the result back over a pipe and
accept nothing but such plain values from a child. Refusals are
`ImageDecodeError`s.

Pure like the rest of checks/: limits and qualities come in as arguments.
"""
from __future__ import annotations

from identity_app.checks.image_io import ImageLimits, decode_image, encode_jpeg, sniff_format


def _decode(data: bytes, limits: ImageLimits):
    return decode_image(data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels,
                        max_side=limits.max_side, max_aspect=limits.max_aspect)


# The segments a camera frame from the capture page has before its scan (canvas.toBlob: JFIF, tables,
# one 8-bit baseline or progressive frame of 3 components). Nothing else takes the fast path.
_PLAIN_SEGMENTS = frozenset({0xE0, 0xDB, 0xC4, 0xDD})
_PLAIN_SOF = frozenset({0xC0, 0xC2})


def plain_jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a plain JPEG: only the segments above, laid end to end from SOI to the first
    scan, one frame header of 8-bit YCbCr (3 components), ending in EOI; None for anything else. Such a
    file has no EXIF (so no orientation) and no Adobe colour transform: OpenCV's and Pillow's libjpeg
    decode it to the same pixels."""
    import struct

    if len(data) < 4 or data[:2] != b"\xff\xd8" or data[-2:] != b"\xff\xd9":
        return None
    pos, size = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if length < 2:
            return None
        if marker == 0xDA:
            return size
        if marker in _PLAIN_SOF:
            if size is not None or length != 8 + 3 * 3 or pos + 10 > len(data) \
                    or data[pos + 4] != 8 or data[pos + 9] != 3:
                return None
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            size = (width, height)
        elif marker not in _PLAIN_SEGMENTS:
            return None
        pos += 2 + length
    return None


def decode_frame(data: bytes, limits: ImageLimits):
    """An image as BGR pixels, the same as `decode_image` gives, cheaper for what the capture page's camera
    sends (issue 13). A plain JPEG (plain_jpeg_size) within the limits is decoded by OpenCV directly
    (480 px: 0.6 instead of 1.9 ms; 1920 x 1440: 9 instead of 28 ms); anything else, or a decode whose
    size is not the header's, goes through the hardened decoder, which refuses or decodes it as before."""
    import cv2
    import numpy as np

    from identity_app.checks.image_io import check_header

    header = check_header(data, limits)  # type and size against the limits first, as decode_image does
    size = plain_jpeg_size(data) if header.format == "JPEG" else None
    if size is not None and size == (header.width, header.height):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is not None and image.shape == (header.height, header.width, 3):
            return image
    return _decode(data, limits)


def document_photo(data: bytes, limits: ImageLimits, jpeg_quality: int = 92) -> dict:
    """A document photo judged by `assess_quality`; when good enough, re-encoded as a metadata-free JPEG.

    {"ok": True, "jpeg": bytes, "width": int, "height": int} or
    {"ok": False, "problems": [codes], "hints": [texts]}.
    """
    from identity_app.checks.image_quality import assess_quality

    image = decode_frame(data, limits)
    quality = assess_quality(image)
    if not quality.ok:
        return {"ok": False, "problems": list(quality.problems), "hints": list(quality.hints)}
    h, w = image.shape[:2]
    return {"ok": True, "jpeg": encode_jpeg(image, jpeg_quality), "width": int(w), "height": int(h)}


def frame_quality(data: bytes, limits: ImageLimits) -> dict:
    """Live feedback on a downscaled camera frame of a document: {"ok": bool, "problems": [codes],
    "frame_problems": [codes], "corners": [[x, y] as shares of the frame's width and height]}.

    When the photo would be accepted ("ok"), document_frame.assess_frame also says whether the document
    is whole, big enough and sharp, and where its corners are (the capture page takes the photo by itself
    once that holds, steady, over a few frames); on a frame already refused it is not run (its cost).
    """
    from identity_app.checks.document_frame import assess_frame
    from identity_app.checks.image_quality import assess_quality

    image = decode_frame(data, limits)
    quality = assess_quality(image)
    out = {"ok": bool(quality.ok), "problems": list(quality.problems), "frame_problems": [], "corners": []}
    if quality.ok:
        # GLARE is not among the framing problems the live feedback tells (flow.FRAME_PROBLEMS_SHOWN;
        # assess_quality judges glare): without it the frame costs ~8 ms less CPU (bench_document_frame).
        frame = assess_frame(image, with_glare=False)
        h, w = image.shape[:2]
        out["frame_problems"] = list(frame.problems)
        out["corners"] = [[float(x) / w, float(y) / h] for x, y in frame.corners or ()]
    return out


def liveness_frames(frames: list[bytes], limits: ImageLimits, jpeg_quality: int = 90) -> list[dict]:
    """Each streamed frame decoded, analysed (MediaPipe landmarks) and re-encoded.

    Every frame is decoded before any is analysed, so one bad frame refuses
    the whole batch. FaceMesh runs in still-image mode: no state is carried
    from one frame to the next, so any process may analyse any frame.
    [{"jpeg": bytes, "width": int, "height": int, "analysis": FrameAnalysis.to_dict()}]
    """
    from identity_app.checks.liveness import analyse_frame

    images = [decode_frame(data, limits) for data in frames]
    out = []
    for image in images:
        h, w = image.shape[:2]
        out.append({"jpeg": encode_jpeg(image, jpeg_quality), "width": int(w), "height": int(h),
                    "analysis": analyse_frame(image).to_dict()})
    return out


def liveness_answer(frames: list[bytes], limits: ImageLimits, jpeg_quality: int = 90, newest: int = 2) -> list[dict]:
    """liveness_frames for the live feedback's answer: every frame decoded (one bad frame still refuses the
    whole batch) and re-encoded, only the `newest` last ones analysed ("analysis": None for the others,
    which liveness_rest analyses after the answer, from the same bytes: the same pixels, the same result)."""
    from identity_app.checks.liveness import analyse_frame

    images = [decode_frame(data, limits) for data in frames]
    first = max(0, len(images) - max(0, int(newest)))
    out = []
    for i, image in enumerate(images):
        h, w = image.shape[:2]
        out.append({"jpeg": encode_jpeg(image, jpeg_quality), "width": int(w), "height": int(h),
                    "analysis": analyse_frame(image).to_dict() if i >= first else None})
    return out


def liveness_rest(frames: list[bytes], limits: ImageLimits) -> list[dict]:
    """The analyses (FrameAnalysis.to_dict()) of frames liveness_answer left for after the answer."""
    from identity_app.checks.liveness import analyse_frame

    return [analyse_frame(decode_frame(data, limits)).to_dict() for data in frames]


def logo(data: bytes, limits: ImageLimits, max_side: int) -> dict:
    """An application logo at most `max_side` px: photographs stay JPEG, drawings (PNG/WebP) become PNG.

    {"data": bytes, "content_type": str}
    """
    import cv2

    image = _decode(data, limits)
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    if sniff_format(data) == "JPEG":
        return {"data": encode_jpeg(image, 90), "content_type": "image/jpeg"}
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return {"data": buf.tobytes(), "content_type": "image/png"}


def loaded_modules() -> list[str]:
    """The modules this process has imported (a pool child must never have reflex, sqlmodel or the settings)."""
    import sys

    return sorted(sys.modules)


def warm_up(with_face_mesh: bool = True) -> None:
    """Import the decoders and load FaceMesh now (a pool child does this before its memory cap is set)."""
    import numpy as np
    from PIL import Image, JpegImagePlugin, PngImagePlugin, WebPImagePlugin  # noqa: F401

    import cv2
    from identity_app.checks import image_quality  # noqa: F401

    cv2.setNumThreads(1)  # one task per child process, one core each: no thread pool inside
    blank = np.full((64, 64, 3), 255, np.uint8)
    image_quality.assess_quality(blank)
    encode_jpeg(blank)
    if with_face_mesh:
        from identity_app.checks.liveness import analyse_frame

        analyse_frame(blank)
