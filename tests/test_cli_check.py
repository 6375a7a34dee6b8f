"""``alpaca-gen check`` as a user runs it: formats, outputs, --strict, --lang, bad input."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

GOOD_EN = {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep enough and move every day."}
GOOD_KO = {"instruction": "건강을 지키는 방법 세 가지를 알려 주세요.", "input": "", "output": "골고루 먹고, 충분히 자고, 매일 움직이세요."}
FIXABLE = {"instruction": "Name the largest ocean on Earth.", "input": "No input", "output": "The Pacific Ocean."}
REFUSAL_KO = {"instruction": "가장 좋아하는 계절을 말해 주세요.", "input": "", "output": "저는 AI 언어 모델로서 좋아하는 계절이 없습니다."}
ENGLISH_ANSWER_KO = {"instruction": "김치찌개 끓이는 법을 알려 주세요.", "input": "",
                     "output": "First stir-fry the aged kimchi with pork belly, then add water and tofu."}
ROWS = [GOOD_EN, GOOD_KO, FIXABLE, REFUSAL_KO, ENGLISH_ANSWER_KO]


def write_json(path: Path, rows) -> Path:
    path.write_text(json.dumps(rows, indent=4, ensure_ascii=False), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_json_list_is_checked_and_cleaned_in_its_own_layout(run_cli, tmp_path, util):
    data = write_json(tmp_path / "alpaca_data.json", ROWS)
    before = data.read_bytes()
    result = run_cli("check", data, "--output", tmp_path / "clean.json", "--flagged", tmp_path / "flagged.jsonl")
    assert result.returncode == 0, result.stderr
    assert "5 records (en 2, ko 3)" in result.stdout
    assert "kept 3 (1 of them fixed), dropped 2" in result.stdout
    for reason in ("refusal", "output_not_korean", "noinput_marker"):
        assert reason in result.stdout
    clean_text = (tmp_path / "clean.json").read_text(encoding="utf-8")
    clean = json.loads(clean_text)
    assert clean == [GOOD_EN, GOOD_KO, dict(FIXABLE, input="")]
    assert clean_text == json.dumps(clean, indent=4, ensure_ascii=False)  # alpaca_data.json's layout, Korean unescaped
    flagged = [json.loads(line) for line in (tmp_path / "flagged.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(f["index"], f["reasons"], f["kept"]) for f in flagged] == [
        (2, ["noinput_marker"], True), (3, ["refusal"], False), (4, ["output_not_korean"], False)]
    assert flagged[1]["record"] == REFUSAL_KO and flagged[1]["findings"][0]["field"] == "output"
    assert data.read_bytes() == before  # the input is never modified


def test_jsonl_in_jsonl_out_and_extra_fields_kept(run_cli, tmp_path):
    rows = [dict(GOOD_EN, most_similar_instructions={"x": 0.1}, avg_similarity_score=0.1, provenance={"lang": "en"}),
            dict(FIXABLE, id=7)]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    result = run_cli("check", data, "--output", tmp_path / "clean.jsonl")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [rows[0], dict(rows[1], input="")]


def test_strict_fails_ci_when_anything_is_flagged(run_cli, tmp_path, util):
    flagged = run_cli("check", write_json(tmp_path / "a.json", ROWS), "--strict")
    line = util.assert_clean_error(flagged, 1)
    assert "3 of 5 records flagged (2 dropped, 1 fixed)" in line
    clean = run_cli("check", write_json(tmp_path / "b.json", [GOOD_EN, GOOD_KO]), "--strict")
    assert clean.returncode == 0, clean.stderr
    assert "no rule flagged any record" in clean.stdout


def test_the_shipped_seeds_pass_strict(run_cli):
    result = run_cli("check", REPO / "seed_tasks.jsonl", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "376 records (en 188, ko 188)" in result.stdout and "dropped 0" in result.stdout


def test_lang_forces_one_language_and_json_prints_every_number(run_cli, tmp_path):
    data = write_json(tmp_path / "a.json", [GOOD_KO])
    as_english = run_cli("check", data, "--lang", "en", "--json")
    report = json.loads(as_english.stdout)
    assert report["languages"] == {"en": 1} and report["dropped"] == 1
    assert report["rules"]["starts_with_non_ascii"]["stage"] == "fields"
    as_korean = json.loads(run_cli("check", data, "--lang", "ko", "--json").stdout)
    assert as_korean["languages"] == {"ko": 1} and as_korean["dropped"] == 0 and as_korean["rules"] == {}


def test_korean_case_from_a_real_record(run_cli, tmp_path):
    """A Korean-looking instruction, an English answer, and a Korean provenance: judged by the Korean rules."""
    row = dict(ENGLISH_ANSWER_KO, provenance={"lang": "ko", "model": "m"})
    report = json.loads(run_cli("check", write_json(tmp_path / "regen.json", [row]), "--json").stdout)
    assert report["rules"]["output_not_korean"]["records"] == 1


@pytest.mark.parametrize("case,code,pattern", [
    ("missing", 66, "input file not found"),
    ("not_json", 65, r"bad\.jsonl:2: not valid JSON"),
    ("json_list_broken", 65, r"broken\.json: not valid JSON .*line 1"),
    ("no_instruction", 65, r"noinst\.jsonl:1: no 'instruction' string"),
    ("output_is_input", 2, "must differ from the input file"),
    ("output_in_missing_folder", 2, "does not exist"),
    ("bad_lang", 2, "--lang must be one of: auto, en, ko"),
    ("no_input", 2, "check needs the data file"),
])
def test_bad_input_is_one_line_and_writes_nothing(run_cli, tmp_path, util, case, code, pattern):
    good = write_jsonl(tmp_path / "good.jsonl", [GOOD_EN])
    args = {
        "missing": [tmp_path / "nope.json"],
        "not_json": [write_jsonl(tmp_path / "bad.jsonl", [GOOD_EN]).parent / "bad.jsonl"],
        "json_list_broken": [tmp_path / "broken.json"],
        "no_instruction": [write_jsonl(tmp_path / "noinst.jsonl", [{"input": "", "output": "x"}])],
        "output_is_input": [good, "--output", good],
        "output_in_missing_folder": [good, "--output", tmp_path / "nowhere" / "clean.json"],
        "bad_lang": [good, "--lang", "fr"],
        "no_input": [],
    }[case]
    if case == "not_json":
        with open(tmp_path / "bad.jsonl", "a", encoding="utf-8") as f:
            f.write('{"instruction": "cut off\n')
    if case == "json_list_broken":
        (tmp_path / "broken.json").write_text('[{"instruction": "x", ', encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    result = run_cli("check", *args)
    line = util.assert_clean_error(result, code)
    import re

    assert re.search(pattern, line), line
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.name.startswith(".cli-")}
    assert after == before, "check wrote or changed a file on bad input"


def test_a_folder_that_cannot_be_written_is_exit_73_with_no_half_file(run_cli, tmp_path, util):
    if os.geteuid() == 0:
        # root writes anywhere; a path under a regular file cannot be created by anyone.
        target = tmp_path / "afile"
        target.write_text("x")
        out = target / "clean.json"
        result = run_cli("check", write_json(tmp_path / "a.json", [GOOD_EN]), "--output", out)
        util.assert_clean_error(result, 2)  # its folder is not a folder
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_cli("check", write_json(tmp_path / "a.json", [GOOD_EN]), "--output", locked / "clean.json")
        line = util.assert_clean_error(result, 73)
        assert "cannot write" in line
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)
