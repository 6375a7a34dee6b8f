"""``alpaca-gen export``: every format read back with the real ``datasets`` library, field by
field; training features checked with a tokenizer trained here (no download)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")
tokenizers = pytest.importorskip("tokenizers")

try:
    from tests import alpaca_reference
except ImportError:  # tests/ is not a package under some import modes
    import alpaca_reference

from alpaca_gen.config import ExportOptions
from alpaca_gen.export import assign_splits, export_file, parse_split
from alpaca_gen.export.sft import IGNORE_INDEX
from alpaca_gen.export.templates import DEFAULT_TEMPLATES
from alpaca_gen.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "research" / "data"

RECORDS = [
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, and move every day.",
     "most_similar_instructions": {"Name a fruit.": 0.1}, "avg_similarity_score": 0.1,
     "provenance": {"lang": "en", "model": "gpt-4o-mini", "api": "chat", "request": 0}},
    {"instruction": "Translate the sentence into French.", "input": "Good morning, everyone.", "output": "Bonjour à tous.",
     "provenance": {"lang": "en", "model": "gpt-4o-mini", "api": "chat", "request": 1}},
    {"instruction": "다음 문장의 띄어쓰기를 바르게 고쳐 주세요.", "input": "아버지가방에들어가신다", "output": "아버지가 방에 들어가신다",
     "provenance": {"lang": "ko", "model": "gpt-4o-mini", "api": "chat", "request": 2}},
    {"instruction": "가을에 어울리는 짧은 시를 한 편 지어 주세요.", "input": "", "output": "낙엽이 지는 길 위로 바람이 천천히 걷는다.",
     "provenance": {"lang": "ko", "model": "gpt-4o-mini", "api": "chat", "request": 3}},
]


def write_regen(folder: Path, records=RECORDS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "regen.json"
    path.write_text(json.dumps(records, indent=4, ensure_ascii=False), encoding="utf-8")
    return path


def run(tmp_path, fmt, **flags):
    options = ExportOptions.from_flags(input=str(flags.pop("input", write_regen(tmp_path / "gen"))), format=fmt,
                                       output=str(flags.pop("output", tmp_path / fmt)), **flags)
    import io

    return export_file(options, out=io.StringIO()), Path(options.output)


def load(folder: Path, report, builder: str):
    files = {split: str(folder / name) for split, name in report.files.items()}
    return datasets.load_dataset(builder, data_files=files, cache_dir=str(folder.parent / ".hf-cache"))


@pytest.fixture(scope="module")
def tokenizer_file(tmp_path_factory) -> Path:
    """A small byte-level BPE tokenizer trained on English and Korean text, with <s> prepended."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    text = [r["instruction"] + " " + r["input"] + " " + r["output"] for r in RECORDS] * 20
    text += [t.render("x", "y") for t in DEFAULT_TEMPLATES.values()] * 20
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(text, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return path


# -- the plain formats ---------------------------------------------------------------------------------


def test_alpaca_is_stanfords_layout_without_the_similarity_fields(tmp_path):
    report, folder = run(tmp_path, "alpaca")
    text = (folder / "alpaca_data.json").read_text(encoding="utf-8")
    rows = json.loads(text)
    assert rows == [{"instruction": r["instruction"], "input": r["input"], "output": r["output"]} for r in RECORDS]
    assert text == json.dumps(rows, indent=4, ensure_ascii=False)  # indent 4, Korean unescaped
    loaded = load(folder, report, "json")["train"]
    assert loaded.column_names == ["instruction", "input", "output"] and loaded[2]["input"] == "아버지가방에들어가신다"


@pytest.mark.parametrize("fmt,builder", [("jsonl", "json"), ("parquet", "parquet")])
def test_jsonl_and_parquet_carry_the_alpaca_columns(tmp_path, fmt, builder):
    report, folder = run(tmp_path, fmt, keep_provenance=True)
    loaded = load(folder, report, builder)["train"]
    for row, record in zip(loaded, RECORDS):
        assert (row["instruction"], row["input"], row["output"]) == (record["instruction"], record["input"], record["output"])
        provenance = row["provenance"] if isinstance(row["provenance"], dict) else json.loads(row["provenance"])
        assert provenance["request"] == record["provenance"]["request"]


def test_messages_with_a_system_prompt(tmp_path):
    report, folder = run(tmp_path, "messages", system="당신은 친절한 도우미입니다.")
    loaded = load(folder, report, "json")["train"]
    first, with_input = loaded[0]["messages"], loaded[1]["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant"]
    assert first[0]["content"] == "당신은 친절한 도우미입니다." and first[1]["content"] == RECORDS[0]["instruction"]
    assert with_input[1]["content"] == "Translate the sentence into French.\n\nGood morning, everyone."
    assert with_input[2]["content"] == "Bonjour à tous."


def test_sharegpt_and_llama_factory(tmp_path):
    report, folder = run(tmp_path, "sharegpt")
    row = load(folder, report, "json")["train"][2]
    assert row["conversations"] == [{"from": "human", "value": "다음 문장의 띄어쓰기를 바르게 고쳐 주세요.\n\n아버지가방에들어가신다"},
                                    {"from": "gpt", "value": "아버지가 방에 들어가신다"}]
    report, folder = run(tmp_path, "llama-factory", name="my_data", split="train=0.5,validation=0.5")
    info = json.loads((folder / "dataset_info.json").read_text())
    assert info == {
        "my_data": {"file_name": "alpaca_data.train.json", "columns": {"prompt": "instruction", "query": "input", "response": "output"}},
        "my_data_validation": {"file_name": "alpaca_data.validation.json",
                               "columns": {"prompt": "instruction", "query": "input", "response": "output"}},
    }
    both = load(folder, report, "json")
    assert both["train"].num_rows + both["validation"].num_rows == 4


def test_splits_are_seeded_and_keep_the_input_order(tmp_path):
    assert parse_split("train=0.95,validation=0.05") == {"train": 0.95, "validation": 0.05}
    for bad in ("train=0.9", "train=1.2,test=-0.2", "train", "train=0.5,train=0.5"):
        with pytest.raises(UsageError):
            parse_split(bad)
    a, b = assign_splits(1000, {"train": 0.95, "validation": 0.05}, 7), assign_splits(1000, {"train": 0.95, "validation": 0.05}, 7)
    assert a == b and len(a["train"]) == 950 and len(a["validation"]) == 50 and a["train"] == sorted(a["train"])
    assert sorted(a["train"] + a["validation"]) == list(range(1000))
    assert assign_splits(1000, {"train": 0.95, "validation": 0.05}, 8) != a


def test_lang_selects_records_and_the_card_says_what_is_there(tmp_path):
    report, folder = run(tmp_path, "jsonl", lang="ko", license="cc-by-nc-4.0")
    assert report.selected == 2 and report.read == 4
    card = (folder / "README.md").read_text(encoding="utf-8")
    header = card.split("---")[1]
    assert re.search(r"language:\n- ko\n", header) and "license: cc-by-nc-4.0" in header
    assert "size_categories:\n- n<1K" in header and "path: data.jsonl" in header
    assert "gpt-4o-mini (chat) 2" in card and "languages | ko 2" in card


# -- sft: Alpaca's training preprocessing ---------------------------------------------------------------


def test_sft_masks_the_prompt_and_appends_eos(tmp_path, tokenizer_file):
    report, folder = run(tmp_path, "sft", tokenizer=str(tokenizer_file), max_length=512)
    table = load(folder, report, "parquet")["train"]
    tok = tokenizers.Tokenizer.from_file(str(tokenizer_file))
    eos = tok.token_to_id("</s>")
    assert table.num_rows == 4 and report.truncated == 0 and report.target_lost == 0
    for row, record in zip(table, RECORDS):
        lang = record["provenance"]["lang"]
        prompt = DEFAULT_TEMPLATES[lang].render(record["instruction"], record["input"])
        prompt_ids = tok.encode(prompt).ids
        assert row["input_ids"] == tok.encode(prompt + record["output"] + "</s>").ids
        assert row["input_ids"][-1] == eos and row["input_ids"][0] == tok.token_to_id("<s>")
        assert row["labels"][: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)
        assert row["labels"][len(prompt_ids):] == row["input_ids"][len(prompt_ids):]
        assert row["attention_mask"] == [1] * len(row["input_ids"])
    # The empty-input template for records without input, the other one otherwise (Korean too).
    assert "### 입력:" not in tok.decode(table[3]["input_ids"]) and "### 입력:" in tok.decode(table[2]["input_ids"])


def test_sft_truncation_counts_and_drops_records_left_without_a_target(tmp_path, tokenizer_file):
    tok = tokenizers.Tokenizer.from_file(str(tokenizer_file))
    longest_prompt = max(len(tok.encode(DEFAULT_TEMPLATES[r["provenance"]["lang"]].render(r["instruction"], r["input"])).ids)
                         for r in RECORDS)
    shortest_prompt = min(len(tok.encode(DEFAULT_TEMPLATES[r["provenance"]["lang"]].render(r["instruction"], r["input"])).ids)
                          for r in RECORDS)
    limit = shortest_prompt + 2
    report, folder = run(tmp_path, "sft", tokenizer=str(tokenizer_file), max_length=limit)
    table = load(folder, report, "parquet")["train"]
    assert report.truncated >= 1 and report.target_lost >= 1 and table.num_rows == 4 - report.target_lost
    for row in table:
        assert len(row["input_ids"]) <= limit and any(label != IGNORE_INDEX for label in row["labels"])
    assert longest_prompt > limit  # at least one prompt alone fills the limit: its record was dropped
    kept_all, _ = run(tmp_path, "sft", tokenizer=str(tokenizer_file), max_length=limit, train_on_input=True,
                      output=str(tmp_path / "sft_all"))
    all_rows = load(tmp_path / "sft_all", kept_all, "parquet")["train"]
    assert all(row["labels"] == row["input_ids"] for row in all_rows)


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/research/data is not here")
def test_sft_with_stanfords_template_reproduces_train_py(tmp_path, tokenizer_file):
    """Stanford's prompt template, a few hundred records, a short maximum length: the same
    input ids and labels as a restatement of train.py's preprocess (records whose labels are
    all -100 there are the ones dropped here)."""
    prompt_dict = json.loads((SHARED / "stanford_train_prompt_dict.json").read_text())
    records = []
    for i in range(300):
        base = RECORDS[i % len(RECORDS)]
        records.append({"instruction": f"{base['instruction']} ({i})", "input": base["input"] * (i % 3),
                        "output": base["output"] * (1 + i % 5)})
    (tmp_path / "stanford.json").write_text(json.dumps(prompt_dict), encoding="utf-8")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    tok = tokenizers.Tokenizer.from_file(str(tokenizer_file))
    source_lens = sorted(len(tok.encode(prompt_dict["prompt_input" if r["input"] else "prompt_no_input"].format_map(r)).ids)
                         for r in records)
    max_length = source_lens[len(records) // 4] + 3  # about a quarter lose their whole target, many are cut
    report, folder = run(tmp_path, "sft", input=str(data), tokenizer=str(tokenizer_file), template=str(tmp_path / "stanford.json"),
                         max_length=max_length)
    tok.enable_truncation(max_length=max_length)
    ids, labels = alpaca_reference.train_preprocess(records, prompt_dict, lambda text: tok.encode(text).ids, "</s>",
                                                    tok.token_to_id("<pad>"))
    expected = [(i, l) for i, l in zip(ids, labels) if any(x != IGNORE_INDEX for x in l)]
    table = load(folder, report, "parquet")["train"]
    assert report.target_lost == len(records) - len(expected) and report.target_lost > 0 and report.truncated > report.target_lost
    assert [(row["input_ids"], row["labels"]) for row in table] == expected


# -- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case,code,pattern", [
    ("unknown_format", 2, "--format must be one of"),
    ("missing_tokenizer", 66, "tokenizer not found"),
    ("bad_tokenizer", 65, "not a tokenizer.json"),
    ("no_tokenizer", 2, "--format sft needs --tokenizer"),
    ("not_alpaca", 65, r"data\.jsonl:2: not an Alpaca record \(no 'output'\)"),
    ("missing_input_file", 66, "input file not found"),
    ("output_is_a_file", 2, "is a file; an export is a folder"),
    ("output_not_empty", 2, "is not empty; pass --overwrite"),
    ("bad_template", 65, "prompt_input and prompt_no_input|'prompt_input' and 'prompt_no_input'"),
])
def test_bad_input_is_one_line_and_writes_nothing(run_cli, tmp_path, util, case, code, pattern):
    data = write_regen(tmp_path / "gen")
    (tmp_path / "bad_tokenizer.json").write_text("{not a tokenizer", encoding="utf-8")
    (tmp_path / "template.json").write_text(json.dumps({"prompt_input": "{instruction}"}), encoding="utf-8")
    (tmp_path / "data.jsonl").write_text(json.dumps(RECORDS[0]) + "\n" + json.dumps({"instruction": "x", "input": ""}) + "\n")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    args = {
        "unknown_format": [data, "--format", "csv", "--output", tmp_path / "out"],
        "missing_tokenizer": [data, "--format", "sft", "--tokenizer", tmp_path / "nope.json", "--output", tmp_path / "out"],
        "bad_tokenizer": [data, "--format", "sft", "--tokenizer", tmp_path / "bad_tokenizer.json", "--output", tmp_path / "out"],
        "no_tokenizer": [data, "--format", "sft", "--output", tmp_path / "out"],
        "not_alpaca": [tmp_path / "data.jsonl", "--output", tmp_path / "out"],
        "missing_input_file": [tmp_path / "nope.json", "--output", tmp_path / "out"],
        "output_is_a_file": [data, "--output", tmp_path / "afile"],
        "output_not_empty": [data, "--output", tmp_path / "full"],
        "bad_template": [data, "--format", "sft", "--tokenizer", tmp_path / "bad_tokenizer.json", "--template",
                         tmp_path / "template.json", "--output", tmp_path / "out"],
    }[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("export", *args)
    line = util.assert_clean_error(result, code)
    assert re.search(pattern, line), line
    after = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".cli-"))
    assert after == before, "export left something behind"
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_overwrite_replaces_a_previous_export_whole(run_cli, tmp_path):
    data = write_regen(tmp_path / "gen")
    first = run_cli("export", data, "--format", "jsonl", "--output", tmp_path / "out", "--split", "train=0.5,validation=0.5")
    assert first.returncode == 0, first.stderr
    second = run_cli("export", data, "--format", "alpaca", "--output", tmp_path / "out", "--overwrite")
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["README.md", "alpaca_data.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
