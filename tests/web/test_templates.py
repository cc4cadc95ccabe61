"""Every labgate template escapes what it shows and protects what it posts.

Read from the files themselves, so a page another area adds tomorrow is held to the same
rules: autoescape on, `| safe` only on the XSRF field's own HTML, no autoescape switched
off, and every POST form carries the XSRF token.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labgate.web.app import templates

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "labgate" / "web" / "templates"
PAGES = sorted(TEMPLATES.rglob("*.html"))
SAFE = re.compile(r"\{\{(?P<expr>[^{}]*?)\|\s*safe\b[^{}]*\}\}")
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
ALLOWED_SAFE = {"xsrf_form_html()"}


def name(path: Path) -> str:
    return str(path.relative_to(TEMPLATES))


def test_there_are_templates_to_check() -> None:
    assert any(p.name == "home.html" for p in PAGES)


def test_the_environment_escapes_by_default() -> None:
    env = templates()
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    assert env.get_template("labgate/home.html").environment.autoescape


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_safe_is_used_only_on_the_xsrf_field(page: Path) -> None:
    text = page.read_text()
    for match in SAFE.finditer(text):
        assert match["expr"].strip() in ALLOWED_SAFE, f"{name(page)}: {match[0]}"
    assert "|safe" not in text.replace(" ", "").replace("xsrf_form_html()|safe", "")


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_autoescape_is_never_switched_off(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"autoescape\s+false", text, re.I), name(page)
    assert "Markup(" not in text, name(page)


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_post_form_carries_the_xsrf_token(page: Path) -> None:
    for form in FORM.finditer(page.read_text()):
        if re.search(r"method\s*=\s*[\"']?post", form["attrs"], re.I):
            assert "xsrf_form_html()" in form["body"], f"{name(page)}: <form{form['attrs']}>"
