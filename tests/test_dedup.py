"""dedup.dedup_file: the generation filter applied to an existing data set."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from alpaca_gen.dedup import dedup_file, read_records
from alpaca_gen.errors import DataError, NoInputError, UsageError

EN_RECORDS = [
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, move."},
    {"instruction": "Name the capital city of Australia.", "input": "", "output": "Canberra"},
    {"instruction": "Give three tips for staying healthy!", "input": "", "output": "Drink water."},  # same tokens
    {"instruction": "Translate the sentence into French.", "input": "Good morning.", "output": "Bonjour."},
    {"instruction": "Give me three tips for staying healthy.", "input": "", "output": "Walk daily."},
    {"instruction": "Explain how a rainbow forms.", "input": "", "output": "Sunlight refracts in raindrops."},
]
EN_KEPT = [EN_RECORDS[i] for i in (0, 1, 3, 5)]

KO_RECORDS = [
    {"instruction": "다음 문장을 영어로 번역하세요.", "input": "좋은 아침입니다.", "output": "Good morning."},
    {"instruction": "김치찌개를 맛있게 끓이는 방법을 알려 주세요.", "input": "", "output": "묵은지를 먼저 볶으세요."},
    {"instruction": "다음 문장을 영어로 번역해 주세요.", "input": "감사합니다.", "output": "Thank you."},
    {"instruction": "초등학생에게 광합성을 쉽게 설명해 주세요.", "input": "", "output": "식물이 햇빛으로 양분을 만드는 일이에요."},
    {"instruction": "초등학생한테 광합성을 쉽게 설명해 주세요.", "input": "", "output": "식물의 밥 짓기예요."},
]
KO_KEPT = [KO_RECORDS[i] for i in (0, 1, 3)]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    # Split at "\n" only: str.splitlines() would also split at U+2028 inside a string.
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def run(input_path, output_path, **kwargs) -> dict:
    return dedup_file(str(input_path), str(output_path), out=io.StringIO(), **kwargs)


def test_jsonl_in_jsonl_out(tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", EN_RECORDS)
    before = src.read_bytes()
    result = run(src, tmp_path / "clean.jsonl")
    assert read_jsonl(tmp_path / "clean.jsonl") == EN_KEPT
    assert result == {"input": 6, "kept": 4, "dropped": 2, "seed_instructions": 0,
                      "output": str(tmp_path / "clean.jsonl"), "languages": {"en": {"input": 6, "kept": 4, "dropped": 2}}}
    assert src.read_bytes() == before


def test_jsonl_in_json_list_out(tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", KO_RECORDS)
    run(src, tmp_path / "clean.json", lang="ko")
    text = (tmp_path / "clean.json").read_text(encoding="utf-8")
    assert json.loads(text) == KO_KEPT
    assert text == json.dumps(KO_KEPT, ensure_ascii=False, indent=4)
    assert "다음 문장을" in text


def test_json_list_in(tmp_path):
    src = tmp_path / "regen.json"
    src.write_text(json.dumps(EN_RECORDS, indent=4), encoding="utf-8")
    run(src, tmp_path / "clean.jsonl")
    assert read_jsonl(tmp_path / "clean.jsonl") == EN_KEPT


def test_korean_with_the_english_tokenizer_keeps_everything(tmp_path):
    # rouge_score's tokenizer erases Hangul: with it, Korean is never de-duplicated.
    src = write_jsonl(tmp_path / "data.jsonl", KO_RECORDS)
    result = run(src, tmp_path / "clean.jsonl", lang="ko", tokenizer="rouge")
    assert result["kept"] == len(KO_RECORDS)


def test_seeds_start_the_pool(tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({
        "id": "seed_ko_001", "name": "photosynthesis", "instruction": "초등학생에게 광합성을 쉽게 설명하세요.",
        "instances": [{"input": "", "output": "식물이 햇빛으로 양분을 만드는 과정이에요."}],
        "is_classification": False, "lang": "ko",
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    src = write_jsonl(tmp_path / "data.jsonl", KO_RECORDS)
    result = run(src, tmp_path / "clean.jsonl", lang="ko", seed_tasks_path=str(seeds))
    assert read_jsonl(tmp_path / "clean.jsonl") == [KO_RECORDS[0], KO_RECORDS[1]]
    assert result["seed_instructions"] == 1
    assert result["dropped"] == 3


def test_threshold_and_field(tmp_path):
    records = [{"prompt": r["instruction"], "id": i} for i, r in enumerate(EN_RECORDS)]
    src = write_jsonl(tmp_path / "data.jsonl", records)
    run(src, tmp_path / "clean.jsonl", field="prompt", threshold=1.0)
    assert read_jsonl(tmp_path / "clean.jsonl") == records  # F1 > 1.0 never happens
    run(src, tmp_path / "strict.jsonl", field="prompt", threshold=0.3)
    kept = [r["id"] for r in read_jsonl(tmp_path / "strict.jsonl")]
    assert kept[0] == 0 and 2 not in kept and 4 not in kept


def test_summary_line(tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", EN_RECORDS)
    out = io.StringIO()
    dedup_file(str(src), str(tmp_path / "clean.jsonl"), out=out)
    assert "kept 4 of 6 records, dropped 2 near duplicates" in out.getvalue()


def test_bad_jsonl_line_is_named(tmp_path):
    src = tmp_path / "data.jsonl"
    lines = [json.dumps(r) for r in EN_RECORDS[:2]] + ["", '{"instruction": "Name a', json.dumps(EN_RECORDS[3])]
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"data\.jsonl:4: not valid JSON"):
        run(src, tmp_path / "clean.jsonl")
    assert not (tmp_path / "clean.jsonl").exists()


def test_record_without_the_field_is_named(tmp_path):
    src = tmp_path / "data.jsonl"
    src.write_text(json.dumps(EN_RECORDS[0]) + "\n" + json.dumps({"question": "Why is the sky blue?"}) + "\n")
    with pytest.raises(DataError, match=r"data\.jsonl:2: not an object with a string 'instruction' field"):
        run(src, tmp_path / "clean.jsonl")


def test_bad_element_of_a_json_list_is_named(tmp_path):
    src = tmp_path / "data.json"
    src.write_text(json.dumps([EN_RECORDS[0], "Name the capital of Peru."]))
    with pytest.raises(DataError, match="element 1"):
        read_records(src)


def test_empty_and_missing_inputs(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(DataError, match="no records"):
        run(empty, tmp_path / "clean.jsonl")
    with pytest.raises(NoInputError):
        run(tmp_path / "missing.jsonl", tmp_path / "clean.jsonl")


def test_output_equal_to_input_is_refused(tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", EN_RECORDS)
    before = src.read_bytes()
    with pytest.raises(UsageError, match="must differ from the input"):
        run(src, src)
    # Also through another spelling of the same path.
    with pytest.raises(UsageError):
        run(src, tmp_path / "sub" / ".." / "data.jsonl")
    assert src.read_bytes() == before


@pytest.mark.parametrize("kwargs", [{"lang": "ja"}, {"threshold": 1.5}, {"threshold": True}])
def test_bad_arguments(tmp_path, kwargs):
    src = write_jsonl(tmp_path / "data.jsonl", EN_RECORDS)
    with pytest.raises(UsageError):
        run(src, tmp_path / "clean.jsonl", **kwargs)


def test_output_suffix_must_be_json_or_jsonl(tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", EN_RECORDS)
    with pytest.raises(UsageError, match=r"\.json or \.jsonl"):
        run(src, tmp_path / "clean.csv")


def test_jsonl_with_line_separator_inside_a_string(tmp_path):
    records = [
        {"instruction": "Translate the two lines into Korean.", "input": "Good morning.\u2028See you later.",
         "output": "좋은 아침입니다.\u2028나중에 봐요."},
        EN_RECORDS[1],
    ]
    src = write_jsonl(tmp_path / "data.jsonl", records)
    run(src, tmp_path / "clean.jsonl")
    # And dedup's own output reads back.
    run(tmp_path / "clean.jsonl", tmp_path / "again.jsonl")
    assert read_jsonl(tmp_path / "again.jsonl") == records


def test_korean_input_with_english_tokenizer_is_refused(tmp_path):
    """rouge_score's tokenizer deletes Hangul, so --lang en on Korean data would silently keep everything."""
    from alpaca_gen.dedup import dedup_file
    from alpaca_gen.errors import UsageError

    path = tmp_path / "ko.jsonl"
    rows = ["다음 문장을 존댓말로 바꿔 주세요.", "다음 문장을 존댓말로 바꿔 주세요.", "속담의 뜻을 쉬운 말로 풀어 주세요."]
    path.write_text("".join(json.dumps({"instruction": r}, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(UsageError, match="--lang ko"):
        dedup_file(str(path), str(tmp_path / "out.jsonl"), lang="en")
    result = dedup_file(str(path), str(tmp_path / "out.jsonl"), lang="ko")
    assert result["kept"] == 2 and result["dropped"] == 1


def test_auto_puts_korean_with_english_words_in_the_korean_pool(tmp_path):
    """Mostly Latin letters, but Korean: the English tokenizer would delete the Korean words and
    call two different requests the same one (ROUGE-L F1 1.0)."""
    records = [{"instruction": "Python에서 list comprehension을 사용하는 예를 보여주세요."},
               {"instruction": "Python에서 list comprehension을 쓰면 안 되는 경우를 설명하세요."}]
    src = write_jsonl(tmp_path / "data.jsonl", records)
    result = run(src, tmp_path / "clean.jsonl")
    assert result["kept"] == 2 and result["languages"] == {"ko": {"input": 2, "kept": 2, "dropped": 0}}


def test_auto_pools_a_seed_without_a_lang_field_by_its_script(tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({"id": "s1", "name": "translate", "instruction": "다음 문장을 영어로 번역하세요.",
                                 "instances": [{"input": "안녕하세요.", "output": "Hello."}],
                                 "is_classification": False}, ensure_ascii=False) + "\n", encoding="utf-8")
    src = write_jsonl(tmp_path / "data.jsonl", KO_RECORDS)
    result = run(src, tmp_path / "clean.jsonl", seed_tasks_path=str(seeds))
    assert result["seed_instructions"] == 1
    assert KO_RECORDS[0] not in read_jsonl(tmp_path / "clean.jsonl")  # near the seed, in the Korean pool
