"""The QR code drawn on the admin's page is exactly segno's code for the text, with its quiet
zone, as path data that needs no escaping (AUTH-4: the authenticator app scans it)."""

from __future__ import annotations

import re

import pytest
import segno

from labgate.web.qr import QUIET_ZONE, qr_drawing

URI = "otpauth://totp/labgate:tove?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=labgate"
RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def dark_cells(path: str) -> set[tuple[int, int]]:
    """The modules a drawing paints, read back from its path data."""
    cells: set[tuple[int, int]] = set()
    for x, y, width, back in RUN.findall(path):
        assert width == back
        cells |= {(int(x) + i, int(y)) for i in range(int(width))}
    assert "".join(m[0] for m in RUN.finditer(path)) == path, "only whole runs"
    return cells


@pytest.mark.requirement("AUTH-4")
@pytest.mark.parametrize("text", [URI, "x", "otpauth://totp/a?secret=" + "A" * 200])
def test_the_drawing_paints_exactly_segno_s_dark_modules_inside_the_quiet_zone(text: str) -> None:
    matrix = segno.make(text, error="m", micro=False).matrix
    drawing = qr_drawing(text)
    assert drawing.size == len(matrix) + 2 * QUIET_ZONE
    expected = {
        (x + QUIET_ZONE, y + QUIET_ZONE)
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    }
    assert dark_cells(drawing.path) == expected


def test_a_row_s_neighbouring_dark_modules_are_one_rectangle() -> None:
    drawing = qr_drawing(URI)
    # Every QR code starts with the 7-module finder pattern's top edge.
    assert drawing.path.startswith(f"M{QUIET_ZONE} {QUIET_ZONE}h7v1h-7z")


def test_the_path_data_holds_nothing_a_page_would_have_to_escape() -> None:
    assert re.fullmatch(r"[Mhvz0-9 -]+", qr_drawing(URI).path)
