#!/usr/bin/env python3
"""Draws Salespane's toolbar and store icons (a blue rounded square holding a white pane with
two text lines) as PNG files at 16, 32, 48 and 128 pixels. Standard library only; run it from
any directory to regenerate extension/icons/icon-<size>.png."""
import os
import struct
import zlib

BLUE = (31, 95, 191)
WHITE = (255, 255, 255)
LINE = (151, 182, 230)
SAMPLES = 4  # supersampling per axis, for smooth edges


def inside_rounded(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def color_at(u, v):
    """Colour (or None for transparent) at unit coordinates u, v in [0, 1]."""
    if not inside_rounded(u, v, 0.0, 0.0, 1.0, 1.0, 0.2):
        return None
    if inside_rounded(u, v, 0.52, 0.18, 0.84, 0.82, 0.05):
        for top in (0.30, 0.42, 0.54):
            if 0.58 <= u <= 0.78 and top <= v <= top + 0.05:
                return LINE
        return WHITE
    for top in (0.26, 0.44, 0.62):
        if 0.16 <= u <= 0.42 and top <= v <= top + 0.09:
            return WHITE
    return BLUE


def render(size):
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    c = color_at((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)
                    if c:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 1
            n = acc[3]
            if n:
                row += bytes([acc[0] // n, acc[1] // n, acc[2] // n, 255 * n // (SAMPLES * SAMPLES)])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size, raw):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for size in (16, 32, 48, 128):
        with open(os.path.join(here, f"icon-{size}.png"), "wb") as out:
            out.write(render(size))
