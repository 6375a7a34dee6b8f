"""report.html in a real headless browser (Debian's Chromium, driven by Playwright).

The page must load from file:// with no console error and no request, every
embedded image must decode, the screenshot must not be blank, and Hangul must be
drawn with a real glyph. Skipped only where Chromium is absent and neither CI nor
ALPACA_GEN_REQUIRE_BROWSER is set (.ci/run installs chromium and fonts-nanum).
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from tests.browser import HANGUL_DRAWN, browser, playwright_or_skip  # noqa: F401 (browser: a fixture)

pytest.importorskip("matplotlib", reason="the report extra is part of the test extra")

from alpaca_gen.records import Record  # noqa: E402
from alpaca_gen.report import build_report  # noqa: E402

playwright_or_skip()

SCREENSHOTS = Path(os.environ.get("ALPACA_GEN_SCREENSHOTS", "")) if os.environ.get("ALPACA_GEN_SCREENSHOTS") else None

ENGLISH = [
    Record("Write a short poem about the sea.", "", "Waves fold and unfold along the shore.", lang="en",
           provenance={"model": "m", "api": "chat", "seed_task_ids": ["seed_en_001"]}),
    Record("Summarize the paragraph in one sentence.", "Cats sleep a lot. They nap in the sun.",
           "Cats sleep most of the day.", lang="en", provenance={"model": "m", "api": "chat", "seed_task_ids": ["seed_en_002"]}),
    Record("Classify the review as positive or negative.", "The soup was cold.", "negative", lang="en"),
]
KOREAN = [
    Record("다음 글을 두 문장으로 요약해 주세요.", "서울은 한국의 수도이다. 인구가 많다.", "서울은 한국의 수도이고 사람이 많이 삽니다.", lang="ko"),
    Record("친구에게 보낼 생일 축하 문자를 써 주세요.", "", "생일 축하해! 올해도 행복한 일만 가득하길 바랄게.", lang="ko"),
    Record("이 후기가 긍정인지 부정인지 분류해 주세요.", "배송이 너무 늦었어요.", "부정", lang="ko"),
    Record("가을밤이라는 세 글자로 삼행시를 지어 보세요.", "", "가: 가을 하늘 아래\n을: 을씨년스러운 바람\n밤: 밤새 별을 세었다", lang="ko"),
]


def _open(browser, html: Path, name: str):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto(html.as_uri(), wait_until="load")
    images = page.evaluate("() => Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    shot = page.screenshot(full_page=True)
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(page.screenshot(full_page=False))
    return page, errors, requests, images, shot


def _not_blank(png: bytes) -> bool:
    from PIL import Image  # matplotlib's own dependency

    image = Image.open(io.BytesIO(png)).convert("L")
    lo, hi = image.getextrema()
    return hi - lo > 100 and len(image.resize((64, 64)).getcolors(maxcolors=4096) or ()) > 20


@pytest.mark.parametrize("name, records", [("english", ENGLISH), ("korean", KOREAN)])
def test_report_page_in_a_real_browser(browser, tmp_path, name, records):
    data = tmp_path / "data.json"
    data.write_text(json.dumps([r.to_dict() for r in records], ensure_ascii=False), encoding="utf-8")
    result = build_report(str(data), output=str(tmp_path / "report"), quiet=True)
    page, errors, requests, images, shot = _open(browser, result.output / "report.html", name)
    assert errors == [] and requests == []
    assert len(images) == len(result.numbers["figures"]) >= 3
    assert all(done and w > 100 and h > 100 for done, w, h in images), images
    assert _not_blank(shot)
    assert page.evaluate(HANGUL_DRAWN), "Hangul is drawn as missing-glyph boxes: install fonts-nanum"
    if name == "korean":
        assert "요약하다" in page.inner_text("#diversity")
    page.close()


def test_a_broken_image_would_be_caught(browser, tmp_path):
    """The decode check fails on a page with a corrupt data: image (it is not a test that cannot fail)."""
    html = tmp_path / "broken.html"
    html.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,iVBORw0KGgoAAAA"></body></html>',
                    encoding="utf-8")
    page, errors, _, images, _ = _open(browser, html, "broken")
    assert images and not all(done and w > 100 for done, w, _ in images)
    page.close()
