"""Hostile image bytes, generated here (nothing is stored in the repository).

Header-only pixel bombs of every aspect ratio (PNG, JPEG, WebP lossy,
lossless and extended), truncated and corrupted real images, polyglots,
markup and archives, EXIF and text-chunk bombs, and the finding of issue 9:
a 68-byte PNG that declares 1 x 39,999,999 pixels. `corpus(base_images)`
returns them all as (name, bytes) pairs.
"""
from __future__ import annotations

import io
import math
import random
import struct
import zlib

import numpy as np
from PIL import Image

AREA_JUST_UNDER = 39_999_999  # just under the default IDV_UPLOAD_MAX_PIXELS, as in the finding
# Long side over short side: from square to the finding's 1 x 39,999,999.
ASPECTS = (1, 1.5, 2, 4, 8, 9, 16, 100, 1_000, 10_000, 1_000_000, AREA_JUST_UNDER)


# ------------------------------------------------------------------ PNG


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, *, color_type: int = 0, depth: int = 1, idat: bytes | None = None,
        extra: tuple[bytes, ...] = ()) -> bytes:
    """A PNG that declares width x height; by default a tiny zlib stream of zero rows (issue 9's bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + b"".join(extra)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 10) if idat is None else idat) + png_chunk(b"IEND", b""))


def finding_png() -> bytes:
    """Issue 9, finding 1: 68 bytes that Pillow decoded into 1.4 GB."""
    return png(1, AREA_JUST_UNDER)


def png_zero_bomb(width: int, height: int) -> bytes:
    """A real, complete 1-bit PNG of width x height: a few kB that decode to width x height pixels."""
    row = b"\0" + b"\0" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return png(width, height, idat=body)


# ------------------------------------------------------------------ JPEG


def jpeg_header(width: int, height: int, *, marker: int = 0xC0, sofs: int = 1) -> bytes:
    """SOI, a frame header (or several) declaring width x height, a scan header and a few bytes."""
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    frames = b"".join(b"\xff" + bytes([marker]) + struct.pack(">H", len(sof) + 2) + sof for _ in range(sofs))
    sos = b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    return b"\xff\xd8" + frames + b"\xff\xda" + struct.pack(">H", len(sos) + 2) + sos + b"\x00" * 16 + b"\xff\xd9"


def jpeg_two_sizes(base_jpeg: bytes, big: tuple[int, int]) -> bytes:
    """A real JPEG with a second frame header, declaring another size, before its own."""
    sof = struct.pack(">BHHB", 8, big[1], big[0], 1) + b"\x01\x11\x00"
    return jpeg_with_segments(base_jpeg, [(0xC0, sof)])


# ------------------------------------------------------------------ WebP


def _riff(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def _webp_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def webp_vp8x(width: int, height: int, *, exif: bytes | None = None) -> bytes:
    """Extended WebP whose canvas (which libwebp allocates on opening) is width x height."""
    flags = 0x08 if exif is not None else 0
    vp8x = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = _webp_chunk(b"VP8X", vp8x) + _webp_chunk(b"VP8L", _vp8l_bits(min(width, 16383), min(height, 16383)))
    if exif is not None:
        body += _webp_chunk(b"EXIF", exif)
    return _riff(body)


def _vp8l_bits(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return b"\x2f" + struct.pack("<I", bits) + b"\0" * 8


def webp_vp8l(width: int, height: int) -> bytes:
    return _riff(_webp_chunk(b"VP8L", _vp8l_bits(width, height)))


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\x10\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width & 0x3FFF, height & 0x3FFF) + b"\0" * 16
    return _riff(_webp_chunk(b"VP8 ", frame))


# ------------------------------------------------------------------ sizes


def dims_for(aspect: float, area: int = AREA_JUST_UNDER) -> tuple[int, int]:
    """(long, short) sides of an image of about `area` pixels with this aspect ratio."""
    short = max(1, int(math.sqrt(area / aspect)))
    return max(1, area // short), short


def header_bombs() -> list[tuple[str, bytes]]:
    """Header-only bombs: every aspect ratio both ways, just under and well over the area limit."""
    out = []
    for aspect in ASPECTS:
        for area in (AREA_JUST_UNDER, 400_000_000):
            long, short = dims_for(aspect, area)
            for w, h in ((long, short), (short, long)):
                tag = f"{w}x{h}"
                out.append((f"png-{tag}", png(w, h)))
                out.append((f"png-rgba16-{tag}", png(w, h, color_type=6, depth=16)))
                if w <= 65535 and h <= 65535:
                    out.append((f"jpeg-{tag}", jpeg_header(w, h)))
                    out.append((f"jpeg-progressive-{tag}", jpeg_header(w, h, marker=0xC2)))
                if w <= 16384 and h <= 16384:
                    out.append((f"webp-vp8l-{tag}", webp_vp8l(w, h)))
                if w <= 16383 and h <= 16383:
                    out.append((f"webp-vp8-{tag}", webp_vp8(w, h)))
                if w <= 1 << 24 and h <= 1 << 24:
                    out.append((f"webp-vp8x-{tag}", webp_vp8x(w, h)))
    for w, h in ((0, 0), (0, 100), (100, 0), (2**31 - 1, 2**31 - 1), (2**32 - 1, 1), (65535, 65535),
                 (16384, 16384), (10_001, 10), (10_000, 1_250), (1, 1)):
        out.append((f"png-edge-{w}x{h}", png(w, h)))
        if w < 65536 and h < 65536:
            out.append((f"jpeg-edge-{w}x{h}", jpeg_header(w, h)))
    return out


# ------------------------------------------------------------------ metadata bombs


def exif_blob(entries: int = 3000, *, orientation: int = 6, loop: bool = False, bad_offsets: bool = False,
              padding: int = 0) -> bytes:
    """A TIFF-structured EXIF block with many IFD entries (at most 65534), a looping or out-of-range IFD,
    and `padding` bytes of data after it."""
    n = min(entries, 65534)
    ifd = struct.pack("<H", n + 1)
    ifd += struct.pack("<HHII", 0x0112, 3, 1, orientation)
    for i in range(n):
        # ASCII tags pointing far past the end when bad_offsets, else short inline values
        ifd += struct.pack("<HHII", 0x9000 + (i % 4000), 2, 1_000_000 if bad_offsets else 4, 0xFFFFFFF0 if bad_offsets else 0)
    ifd += struct.pack("<I", 8 if loop else 0)  # next IFD: itself when looping
    return b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + ifd + b"\xee" * padding


def jpeg_with_segments(base_jpeg: bytes, segments: list[tuple[int, bytes]]) -> bytes:
    """Insert APPn/COM segments (each at most 65533 bytes) right after SOI."""
    out = b""
    for marker, payload in segments:
        payload = payload[:65533]
        out += b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload
    return base_jpeg[:2] + out + base_jpeg[2:]


def png_with_chunks(base_png: bytes, chunks: list[tuple[bytes, bytes]]) -> bytes:
    """Insert chunks right after IHDR (8 + 25 bytes)."""
    extra = b"".join(png_chunk(kind, data) for kind, data in chunks)
    return base_png[:33] + extra + base_png[33:]


def ztxt_bomb(megabytes: int = 64) -> bytes:
    comp = zlib.compressobj(9)
    block = b"A" * (1 << 20)
    body = b"".join(comp.compress(block) for _ in range(megabytes)) + comp.flush()
    return b"Comment\0\0" + body


def iccp_bomb(megabytes: int = 64) -> bytes:
    return b"icc\0\0" + ztxt_bomb(megabytes)[len(b"Comment\0\0"):]


# ------------------------------------------------------------------ the corpus


def encode(image_bgr: np.ndarray, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1])).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def truncations(data: bytes, n: int, rng: random.Random) -> list[bytes]:
    cuts = sorted({1, 2, 3, 8, 16, 33, 100, len(data) // 2, len(data) - 1,
                   *(rng.randrange(1, len(data)) for _ in range(n))})
    return [data[:c] for c in cuts if 0 < c < len(data)][:n]


def corruptions(data: bytes, n: int, rng: random.Random) -> list[bytes]:
    out = []
    for i in range(n):
        b = bytearray(data)
        if i % 3 == 0:  # a few random bytes flipped
            for _ in range(1 + i % 7):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif i % 3 == 1:  # a block overwritten with noise, header kept
            start = rng.randrange(min(64, len(b) - 1), len(b))
            b[start:start + 256] = bytes(rng.randrange(256) for _ in range(min(256, len(b) - start)))
        else:  # a block duplicated in the middle
            start = rng.randrange(len(b))
            b[start:start] = b[start:start + 512]
        out.append(bytes(b))
    return out


def markup_and_archives() -> list[tuple[str, bytes]]:
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("../../etc/passwd", "root:x:0:0")
        z.writestr("a.jpg", b"\xff\xd8\xff" + b"\0" * 100)
    return [
        ("svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)'
                b'</script></svg>'),
        ("svg-billion-laughs", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;'
                               b'&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><svg>&lol2;</svg>'),
        ("html", b"<!doctype html><html><body><script>fetch('/api/media/1')</script></body></html>"),
        ("html-with-bom", b"\xef\xbb\xbf<html><img src=x onerror=alert(1)></html>"),
        ("zip", zipped.getvalue()),
        ("pdf", b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"),
        ("gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
                b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
        ("bmp", b"BM" + struct.pack("<IHHI", 62, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 100000, 100000, 1, 24,
                                                                            0, 0, 0, 0, 0, 0)),
        ("tiff", b"II*\x00\x08\x00\x00\x00" + b"\0" * 64),
        ("ico", b"\0\0\1\0\1\0" + b"\0" * 40),
        ("psd", b"8BPS\0\1" + b"\0" * 60),
        ("heic", b"\0\0\0\x18ftypheic" + b"\0" * 60),
        ("avif", b"\0\0\0\x1cftypavif" + b"\0" * 60),
        ("elf", b"\x7fELF\2\1\1" + b"\0" * 100),
        ("shell", b"#!/bin/sh\nrm -rf /\n"),
        ("json", b'{"ok": true, "code": "OK"}'),
        ("riff-not-webp", b"RIFF\x10\0\0\0WAVEfmt " + b"\0" * 40),
        ("webp-unknown-chunk", b"RIFF\x20\0\0\0WEBPXXXX" + b"\0" * 30),
        ("png-magic-only", b"\x89PNG\r\n\x1a\n"),
        ("jpeg-magic-only", b"\xff\xd8\xff"),
        ("jpeg-soi-eoi", b"\xff\xd8\xff\xd9"),
        ("jpeg-bad-length", b"\xff\xd8\xff\xe0\x00\x01"),
        ("jpeg-markers-forever", b"\xff\xd8" + b"\xff\xfe\x00\x02" * 20000),
        ("webp-magic-only", b"RIFF\0\0\0\0WEBP"),
    ]


def corpus(base_images: dict[str, np.ndarray], seed: int = 9) -> list[tuple[str, bytes]]:
    """Every kind of hostile input, from `base_images` (name -> BGR image; real photos make the
    re-encoded ones meaningful). Deterministic for a seed."""
    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = [("finding-69-byte-png", finding_png()), ("zero-bytes", b""),
                                    ("one-nul", b"\0"), ("nuls", b"\0" * 4096), ("ff", b"\xff" * 4096)]
    out += header_bombs()
    out += markup_and_archives()
    for name, image in base_images.items():
        good = {"jpeg": encode(image, "JPEG", quality=90), "png": encode(image, "PNG"),
                "webp": encode(image, "WEBP", quality=80), "webp-lossless": encode(image, "WEBP", lossless=True),
                "jpeg-progressive": encode(image, "JPEG", quality=85, progressive=True)}
        for fmt, data in good.items():
            out.append((f"{name}-{fmt}", data))
            out += [(f"{name}-{fmt}-truncated-{i}", d) for i, d in enumerate(truncations(data, 12, rng))]
            out += [(f"{name}-{fmt}-corrupt-{i}", d) for i, d in enumerate(corruptions(data, 9, rng))]
        jpg, pngb = good["jpeg"], good["png"]
        # polyglots: an image that is also an archive, a page or a script
        out += [
            (f"{name}-jpeg+zip", jpg + markup_and_archives()[4][1]),
            (f"{name}-jpeg+html", jpg + b"<html><script>alert(1)</script></html>"),
            (f"{name}-png+html", pngb + b"<html><script>alert(1)</script></html>"),
            (f"{name}-jpeg-com-html", jpeg_with_segments(jpg, [(0xFE, b"<script>alert(document.cookie)</script>")])),
            (f"{name}-png-text-php", png_with_chunks(pngb, [(b"tEXt", b"Comment\0<?php system($_GET[c]); ?>")])),
            (f"{name}-html+jpeg", b"<html>" + jpg),
            (f"{name}-gif-header+jpeg", b"GIF89a" + jpg),
            # EXIF bombs: many entries, looping IFDs, offsets past the end, every orientation value
            (f"{name}-jpeg-exif-3000", jpeg_with_segments(jpg, [(0xE1, exif_blob(3000))])),
            (f"{name}-jpeg-exif-loop", jpeg_with_segments(jpg, [(0xE1, exif_blob(10, loop=True))])),
            (f"{name}-jpeg-exif-badoffsets", jpeg_with_segments(jpg, [(0xE1, exif_blob(500, bad_offsets=True))])),
            (f"{name}-jpeg-exif-x200", jpeg_with_segments(jpg, [(0xE1, exif_blob(100))] * 200)),
            (f"{name}-png-exif-5mb", png_with_chunks(pngb, [(b"eXIf", exif_blob(65534, padding=4_000_000)[6:])])),
            (f"{name}-webp-exif-2mb", encode(image, "WEBP", quality=80, exif=exif_blob(65534, padding=1_200_000))),
            (f"{name}-webp-vp8x-exif", webp_vp8x(image.shape[1], image.shape[0], exif=exif_blob(100))),
            (f"{name}-png-ztxt-bomb", png_with_chunks(pngb, [(b"zTXt", ztxt_bomb(16))])),
            (f"{name}-png-ztxt-many", png_with_chunks(pngb, [(b"zTXt", ztxt_bomb(1)[:20_000])] * 8)),
            (f"{name}-png-iccp-bomb", png_with_chunks(pngb, [(b"iCCP", iccp_bomb(16))])),
            (f"{name}-png-second-ihdr", png_with_chunks(pngb, [(b"IHDR", struct.pack(">IIBBBBB", 1, AREA_JUST_UNDER,
                                                                                        8, 2, 0, 0, 0))])),
            (f"{name}-jpeg-two-sofs", jpeg_two_sizes(jpg, (1, 60_000))),
            (f"{name}-png-many-chunks", png_with_chunks(pngb, [(b"abCd", b"x" * 10)] * 5000)),
        ]
        out += [(f"{name}-jpeg-exif-orientation-{o}", jpeg_with_segments(jpg, [(0xE1, exif_blob(1, orientation=o))]))
                for o in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 65535)]
    return out
