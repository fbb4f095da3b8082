"""A small PNG reader for test assertions (8-bit RGB/RGBA, non-interlaced): no Pillow.

PNG filters predict each pixel from its left (a), upper (b) and upper-left (c)
neighbours, so pixel (y, x) depends only on pixels with a smaller y + x: every
anti-diagonal is decoded in one vectorised step (a few thousand numpy steps for a
full-page screenshot instead of millions of Python operations).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["read_png"]

_CHANNELS = {2: 3, 6: 4}  # colour type -> channels


def read_png(data: bytes) -> np.ndarray:
    """Decode a PNG into a ``(height, width, channels)`` uint8 array.

    Parameters
    ----------
    data : bytes
        The file's bytes (8-bit truecolour, with or without alpha, not interlaced:
        what Chromium's ``--screenshot`` writes).

    Returns
    -------
    numpy.ndarray
        The pixels.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, chunks, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    bpp = _CHANNELS[colour]
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), np.uint8)
    raw = raw.reshape(height, width * bpp + 1)
    filters = raw[:, 0].astype(np.int16)
    if (filters > 4).any():
        raise ValueError("bad PNG filter type")
    residual = raw[:, 1:].reshape(height, width, bpp).astype(np.int16)
    # padded with a zero row on top and a zero column on the left
    out = np.zeros((height + 1, width + 1, bpp), dtype=np.int16)
    for k in range(height + width - 1):
        y = np.arange(max(0, k - width + 1), min(height, k + 1))
        x = k - y
        a = out[y + 1, x]  # left
        b = out[y, x + 1]  # up
        c = out[y, x]  # up-left
        kind = filters[y][:, None]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        predicted = np.where(
            kind == 4,
            np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c)),
            np.where(kind == 3, (a + b) >> 1, np.where(kind == 2, b, np.where(kind == 1, a, 0))),
        )
        out[y + 1, x + 1] = (residual[y, x] + predicted) & 0xFF
    return out[1:, 1:].astype(np.uint8)
