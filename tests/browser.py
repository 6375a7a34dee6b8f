"""Headless Chromium for the page tests (the report and ``eval annotate``), through Playwright.

Debian's Chromium is a system package that .ci/run installs; where it is absent the page
tests skip, unless CI or ALPACA_GEN_REQUIRE_BROWSER is set, where its absence fails them.
"""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

#: Draw a Hangul syllable and a code point no font has on a canvas in the page's font;
#: identical pixels mean the syllable fell back to the same missing-glyph box.
HANGUL_DRAWN = """() => {
  const font = getComputedStyle(document.body).fontFamily;
  const draw = (ch) => { const c = document.createElement('canvas'); c.width = 40; c.height = 40;
    const g = c.getContext('2d'); g.font = '28px ' + font; g.fillText(ch, 4, 30);
    return Array.from(g.getImageData(0, 0, 40, 40).data).join(','); };
  return draw('한') !== draw('\\u{10FFFD}') && draw('한') !== draw(' ');
}"""


def playwright_or_skip():
    """Playwright's sync API; called at a test module's top, it skips or fails the module without Chromium."""
    if CHROMIUM is None and (os.environ.get("CI") or os.environ.get("ALPACA_GEN_REQUIRE_BROWSER")):
        pytest.fail("Chromium is required here (CI or ALPACA_GEN_REQUIRE_BROWSER is set) but is not installed",
                    pytrace=False)
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium fonts-nanum)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="playwright is part of the test extra")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module."""
    sync_api = playwright_or_skip()
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()
