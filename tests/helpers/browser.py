"""A page opened in the system's headless Chromium, offline, through Playwright.

Playwright drives the Chromium that Debian's package installs (``apt-get install chromium``;
``.ci/run`` installs it when missing); it never downloads a browser of its own. A test that
needs the browser skips, saying why, only when no Chromium is installed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# What Chromium needs to run headless here, as root and offline, without calling home.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium() -> str:
    """The system's Chromium; skips the test when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium binary: apt-get install chromium (.ci/run installs it)")
    return found


@dataclass
class PageLog:
    """What a page asked of the network (refused) and what it said on its console."""

    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def offline_page(path: Path, width: int = 1280) -> Iterator[tuple[object, PageLog]]:
    """``path`` open in headless Chromium (a fresh profile) from ``file://``, every request
    to anything but a local file refused and logged, and the page's console errors logged;
    yields once its plots are drawn (the page sets ``data-ready`` on its body)."""
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.set_offline(True)

            def route(route):
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    log.refused.append(route.request.url)
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on(
                "console",
                lambda message: message.type == "error" and log.errors.append(message.text),
            )
            page.on("pageerror", lambda error: log.errors.append(str(error)))
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            yield page, log
        finally:
            browser.close()
