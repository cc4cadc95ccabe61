"""Every requirement ID a test carries names a rule that exists in ../shared/REQUIREMENTS.md."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO.parent / "shared" / "REQUIREMENTS.md"
SPEC_ID = re.compile(r"^\| ([A-Z]+-\d+(?:\.\d+)?) \|", re.M)
USED_ID = re.compile(r"""requirement\(\s*["']([^"']*)["']""")
# A marker carries exactly one literal ID, the form ../shared/tools/requirement-coverage counts:
# requirement("A-1", "B-2") or requirement(SOME_NAME) would hide an ID from it.
MARKER = re.compile(r"mark\.requirement\(([^)]*)\)")
ONE_LITERAL = re.compile(r"""\s*(["'])[^"']*\1\s*""")


def spec_ids() -> set[str]:
    assert SPEC.is_file(), (
        f"{SPEC} is missing: the requirements live in the shared/ folder beside the repo "
        "(../shared/REQUIREMENTS.md), and CI has it there."
    )
    ids = set(SPEC_ID.findall(SPEC.read_text(encoding="utf-8")))
    assert ids, f"{SPEC} lists no requirement IDs (rows like '| AUTH-1 | ... |')."
    return ids


def used_ids() -> dict[str, set[str]]:
    """Each ID passed to requirement(...) under tests/, with the files that use it."""
    used: dict[str, set[str]] = {}
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path.resolve() == Path(__file__).resolve():
            continue
        for rid in USED_ID.findall(path.read_text(encoding="utf-8")):
            used.setdefault(rid, set()).add(str(path.relative_to(REPO)))
    return used


def test_every_requirement_marker_names_an_id_from_requirements_md() -> None:
    known = spec_ids()
    unknown = {rid: files for rid, files in used_ids().items() if rid not in known}
    assert not unknown, "requirement IDs not in ../shared/REQUIREMENTS.md: " + "; ".join(
        f"{rid!r} in {', '.join(sorted(files))}" for rid, files in sorted(unknown.items())
    )


def test_every_requirement_marker_carries_exactly_one_literal_id() -> None:
    bad = [
        f"{path.relative_to(REPO)}: requirement({args})"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.resolve() != Path(__file__).resolve()
        for args in MARKER.findall(path.read_text(encoding="utf-8"))
        if not ONE_LITERAL.fullmatch(args)
    ]
    assert not bad, "write one marker per ID, as a string literal: " + "; ".join(bad)


def test_the_requirement_pattern_sees_markers_and_rejects_unknown_ids() -> None:
    # Built from the spec, so that this file itself carries no requirement.
    known = sorted(spec_ids())[0]
    sample = f"@pytest.mark.requirement(\"{known}\")\n@pytest.mark.requirement( 'ZZZ-0' )\n"
    assert USED_ID.findall(sample) == [known, "ZZZ-0"]
    assert "ZZZ-0" not in spec_ids()
    assert [bool(ONE_LITERAL.fullmatch(a)) for a in MARKER.findall(sample)] == [True, True]
    several = "@pytest.mark.requirement('A-1', 'B-2')\n@pytest.mark.requirement(RULE)\n"
    assert [bool(ONE_LITERAL.fullmatch(a)) for a in MARKER.findall(several)] == [False, False]
