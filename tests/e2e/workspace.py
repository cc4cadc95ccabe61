"""Drive a JupyterLab workspace through the browser: write a notebook, run its cell."""

from __future__ import annotations

import json
import secrets
from typing import Any

CELL_MARK = "LABGATE-RESULT "


def notebook(source: str) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "code", "id": "c1", "metadata": {}, "source": source,
             "outputs": [], "execution_count": None}
        ],
    }  # fmt: skip


def start_workspace(page: Any, hub_url: str, user: str, project: str) -> str:
    """Start the named server through the spawn form; return the workspace's base URL."""
    page.goto(f"{hub_url}/hub/spawn/{user}/{project}")
    if page.locator("input[name=project]").count():
        page.check(f"input[name=project][value={project}]")
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"**/user/{user}/{project}/lab**", timeout=120_000)
    return f"{hub_url}/user/{user}/{project}"


def run_cell(page: Any, base: str, source: str) -> dict[str, Any]:
    """Save `source` as a notebook in /work, open it in JupyterLab, run it, parse its result.

    The cell prints one line `LABGATE-RESULT <json>`.
    """
    name = f"e2e-{secrets.token_hex(4)}.ipynb"
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_xsrf")
    response = page.request.put(
        f"{base}/api/contents/work/{name}",
        data=json.dumps({"type": "notebook", "format": "json", "content": notebook(source)}),
        headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"},
    )
    assert response.ok, response.text()
    page.goto(f"{base}/lab/tree/work/{name}")
    editor = page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first
    editor.wait_for(timeout=60_000)
    # JupyterLab asks which kernel to start for a notebook it has not opened before.
    select = page.locator(".jp-Dialog button.jp-mod-accept")
    try:
        select.wait_for(timeout=10_000)
        select.click()
    except Exception:
        pass  # no dialog: the kernel started by itself
    page.locator(".jp-Notebook-ExecutionIndicator[data-status=idle]").first.wait_for(timeout=60_000)
    editor.click()
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output", has_text=CELL_MARK).first
    try:
        output.wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=f"/tmp/labgate-e2e-{name}.png")
        raise
    text = output.inner_text()
    return json.loads(text.split(CELL_MARK, 1)[1].strip())  # type: ignore[no-any-return]
