"""A QR code as SVG path data, for a page to draw without HTML made in Python.

segno (pure Python, no dependencies) computes the code's modules; `qr_drawing` turns them
into one SVG path of rectangles, one per run of dark modules in a row. The template draws it
inside its own `<svg>`, so the page keeps Jinja's autoescape and needs no `| safe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import segno

#: Light modules around the code, as ISO/IEC 18004 asks (scanners need the margin).
QUIET_ZONE: Final = 4


@dataclass(frozen=True)
class QrDrawing:
    """A QR code to draw in an SVG `viewBox="0 0 size size"` on a light background."""

    #: Modules per side, the quiet zone included.
    size: int
    #: SVG path data of the dark modules (digits, spaces and `Mhvz` only).
    path: str


def qr_drawing(text: str) -> QrDrawing:
    """`text` as a QR code (error correction M: a smudged screen still scans)."""
    matrix = segno.make(text, error="m", micro=False).matrix
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            width = x - start
            runs.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{width}v1h-{width}z")
    return QrDrawing(size=len(matrix) + 2 * QUIET_ZONE, path="".join(runs))
