"""``eval annotate`` in a real headless Chromium (Debian's package, through Playwright).

The real CLI serves the page on 127.0.0.1; the browser votes with clicks and with keys,
undoes, reloads and resumes, in English and Korean. Checked: every vote reaches the
votes file at once and the summary counts match it; the sides are really randomised
per item (and the left text is the answer the file says); the model names never reach
the browser before every item has a vote; no request leaves 127.0.0.1; Hangul is drawn
with a real glyph.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.browser import HANGUL_DRAWN, browser, playwright_or_skip  # noqa: F401 (browser: a fixture)

playwright_or_skip()

MODEL_A, MODEL_B = "secret-model-alpha", "secret-model-beta"
ITEMS = [(f"en_{k}", "en", f"Write a two-line note to colleague number {k} about the move.", "") for k in range(6)] + [
    ("ko_1", "ko", "부모님께 안부 문자를 존댓말로 써 주세요.", ""),
    ("ko_2", "ko", "다음 문장의 띄어쓰기를 고쳐 주세요.", "오늘은날씨가참좋습니다"),
    ("ko_3", "ko", "동네 도서관 휴관 안내문을 짧게 써 주세요.", "12월 25일 휴관"),
    ("ko_4", "ko", "회의록을 세 줄로 요약해 주세요.", "예산 확정, 일정 연기, 담당자 변경"),
]


TAG = {MODEL_A: "P", MODEL_B: "Q"}  # marks whose answer a text is, without naming the model


def _answers(path: Path, model: str) -> Path:
    rows = [{"id": i, "lang": lang, "instruction": ins, "input": inp,
             "output": f"{'답변' if lang == 'ko' else 'Answer'} {TAG[model]}-{i}",
             "provenance": {"respond": {"model": model}}} for i, lang, ins, inp in ITEMS]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def server(start_cli, tmp_path):
    a = _answers(tmp_path / f"{MODEL_A}.jsonl", MODEL_A)
    b = _answers(tmp_path / f"{MODEL_B}.jsonl", MODEL_B)
    proc = start_cli("eval", "annotate", a, b, "--annotator", "민지", "--port", 0)
    deadline = time.monotonic() + 30
    url = None
    while time.monotonic() < deadline and url is None:
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", proc.result().stdout)
        url = found.group(1) if found else None
        time.sleep(0.05)
    assert url, proc.result().stderr
    votes = tmp_path / "annotations" / f"{MODEL_A}-vs-{MODEL_B}" / "민지.jsonl"
    yield url, votes, proc
    proc.close()


def _standing(votes: Path) -> list[dict]:
    standing = []
    for line in votes.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["type"] == "vote":
            standing.append(entry)
        else:
            standing.pop()
    return standing


def test_vote_undo_reload_and_resume_in_the_browser(server, browser):
    url, votes, proc = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, foreign, bodies = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(url) else None)
    page.on("response", lambda r: bodies.append(r.text()) if "/api/" in r.url else None)
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector("#task:not([hidden])")
    assert page.inner_text("#progress") == "민지: 0 of 10 voted"
    seen = []  # (item instruction, left text, what was chosen)

    def current() -> tuple[str, str]:
        return page.inner_text("#instruction"), page.inner_text("#left")

    def wait_progress(n: int) -> None:
        page.wait_for_function(f"() => document.getElementById('progress').textContent.includes(': {n} of')")

    # Clicks for the first three, then keys.
    for n, button in enumerate(["#vote-left", "#vote-right", "#vote-tie"], start=1):
        seen.append((*current(), button))
        page.click(button)
        wait_progress(n)
        assert len(_standing(votes)) == n  # saved before the page moved on
    for n, key in enumerate(["ArrowLeft", "2", "x"], start=4):
        seen.append((*current(), key))
        page.keyboard.press(key)
        wait_progress(n)
    assert [v["choice"] for v in _standing(votes)] == ["left", "right", "tie", "left", "right", "both_bad"]
    # Undo the last vote with the key: the same item comes back.
    page.keyboard.press("u")
    wait_progress(5)
    assert page.inner_text("#instruction") == seen[-1][0]
    assert len(_standing(votes)) == 5
    # Reload: the page resumes at the same item, with the votes kept.
    page.reload(wait_until="networkidle")
    page.wait_for_selector("#task:not([hidden])")
    assert page.inner_text("#progress") == "민지: 5 of 10 voted"
    assert page.inner_text("#instruction") == seen[-1][0]
    # The rest, Korean items among them: Hangul is drawn with a real glyph.
    korean_checked = False
    for n in range(6, 11):
        if "\uac00" <= page.inner_text("#instruction")[0] <= "\ud7a3":
            assert page.evaluate("() => document.documentElement.lang") == "ko"
            assert page.evaluate(HANGUL_DRAWN)
            korean_checked = True
        page.keyboard.press("1" if n % 2 else "3")
        wait_progress(n)
    assert korean_checked
    page.wait_for_selector("#finished:not([hidden])")
    # Until now, nothing the browser received named a model.
    assert bodies and not any(MODEL_A in b or MODEL_B in b or "secret-model" in b for b in bodies)
    page.click("#show-summary")
    page.wait_for_function("() => document.getElementById('summary').textContent.length > 0")
    summary = page.inner_text("#summary")
    standing = _standing(votes)
    counts = {o: sum(v["outcome"] == o for v in standing) for o in ("a", "b", "tie", "both_bad")}
    assert f"{MODEL_A} {counts['a']} : {MODEL_B} {counts['b']} : tie {counts['tie']} : both bad {counts['both_bad']}" in summary
    # The left text is the answer the votes file says is on the left.
    for vote in standing:
        model = MODEL_A if vote["left"] == "a" else MODEL_B
        shown = next(left for instruction, left, _ in seen if _item_of(instruction) == vote["item"]) \
            if any(_item_of(i) == vote["item"] for i, _, _ in seen) else None
        if shown is not None:
            assert shown.endswith(f"{TAG[model]}-{vote['item']}")
    assert {v["left"] for v in standing} == {"a", "b"}  # both sides occur
    assert not errors and not foreign, (errors, foreign)


def _item_of(instruction: str) -> str:
    return next(i for i, _, ins, _ in ITEMS if ins == instruction)


def test_sides_are_random_per_item_and_annotator():
    from alpaca_gen.eval.votes import left_is_a

    ids = [f"item{k}" for k in range(400)]
    share = sum(left_is_a("ann", i, 0) for i in ids) / len(ids)
    assert 0.4 < share < 0.6
    assert [left_is_a("ann", i, 0) for i in ids] != [left_is_a("bo", i, 0) for i in ids]
    assert [left_is_a("ann", i, 0) for i in ids] == [left_is_a("ann", i, 0) for i in ids]  # stable across reloads


def test_a_vote_cannot_be_cast_twice_or_by_another_site(server):
    import urllib.error
    import urllib.request

    url, votes, proc = server
    state = json.loads(urllib.request.urlopen(url + "api/state").read())
    item = state["item"]["id"]

    def post(body: dict, kind: str = "application/json") -> int:
        request = urllib.request.Request(url + "api/vote", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": kind})
        try:
            return urllib.request.urlopen(request).status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post({"item": item, "choice": "left"}, "text/plain") == 415  # a plain form from elsewhere
    assert post({"item": item, "choice": "sideways"}) == 409
    assert post({"item": item, "choice": "left"}) == 200
    assert post({"item": item, "choice": "right"}) == 409  # already voted
    assert urllib.request.urlopen(url + "api/state").headers["Content-Security-Policy"].startswith("default-src 'self'")
    try:
        urllib.request.urlopen(url + "api/summary")
        raise AssertionError("the summary must not be served before every item has a vote")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
    assert len(_standing(votes)) == 1
