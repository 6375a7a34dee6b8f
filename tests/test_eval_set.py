"""The built-in evaluation set, eval_set.jsonl: shape, balance, script and diversity.

The set plays the part Self-Instruct's 252 user-oriented instructions played in
Stanford Alpaca's blind pairwise evaluation, written fresh for this project: 100
English and 100 Korean tasks a person would ask an assistant inside an everyday app,
with no reference outputs (``output`` is always "").

Every check is a function that returns a list of problems, so the same code runs on
the real file (no problems expected) and on deliberately broken copies written to a
temporary directory (at least one problem expected each). Similarity is ROUGE-L F1
with the project's own tokenizers (``tokenizer_for("en")`` and ``tokenizer_for("ko")``);
the LCS is computed here, and checked against a plain dynamic programme (and against
rouge_score, when it is installed).

The test marked ``shared`` compares the Korean instructions with KULLM's DeepL
translation of Self-Instruct's set in ../shared (skipped when that file is absent).
"""
from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from alpaca_gen.tokenizers import tokenizer_for

REPO = Path(__file__).resolve().parents[1]
EVAL_SET = REPO / "eval_set.jsonl"
KULLM = REPO.parent / "shared" / "research" / "data" / "korean" / "ko_user_oriented_instructions_kullm_deepl.jsonl"

LANGS = ("en", "ko")
PER_LANG = 100
TOTAL = PER_LANG * len(LANGS)
MIN_APPS = 25
MAX_PER_APP = 8
MIN_WITH_INPUT = 0.55
MIN_WITHOUT_INPUT = 0.20
MIN_HANGUL_SHARE = 0.5
MAX_ROUGE_WITHIN = 0.6
MAX_ROUGE_KULLM = 0.5

TOP_KEYS = {"id", "lang", "motivation_app", "instruction", "instances"}
INSTANCE_KEYS = {"input", "output"}
ID_RE = re.compile(r"^(en|ko)_(\d{4})$")
HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
ANY_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")
LETTER = re.compile(r"[^\W\d_]")
UNICODE_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")


# --- ROUGE-L ------------------------------------------------------------------------------------


def token_masks(a: list[str]) -> dict[str, int]:
    """For each token of ``a``, the bit set of its positions (reusable across many ``b``)."""
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    return masks


def lcs_length(a: list[str], b: list[str], masks: dict[str, int] | None = None) -> int:
    """Length of the longest common subsequence (bit-parallel, Allison-Dix / Hyyro)."""
    if not a or not b:
        return 0
    if masks is None:
        masks = token_masks(a)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l_f1(new: list[str], existing: list[str], new_masks: dict[str, int] | None = None) -> float:
    """ROUGE-L F1 as rouge_score computes it (p = LCS/len(existing), r = LCS/len(new))."""
    lcs = lcs_length(new, existing, new_masks)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(existing), lcs / len(new)
    return 2 * precision * recall / (precision + recall)


def _lcs_dp(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


# --- checks: each returns a list of problems ----------------------------------------------------


def file_problems(path: Path) -> list[str]:
    """UTF-8 JSON Lines, one object per line, TOTAL lines, Korean written out (not \\u-escaped)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"not UTF-8: {exc}"]
    problems = []
    if not text.endswith("\n"):
        problems.append("the file does not end with a newline")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != TOTAL:
        problems.append(f"{len(lines)} lines, expected {TOTAL}")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            problems.append(f"line {n} is blank")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n} is not valid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {n} is a JSON {type(obj).__name__}, not an object")
        if UNICODE_ESCAPE.search(line.replace("\\\\", "")):
            problems.append(f"line {n} has \\u escapes (write it with ensure_ascii=False)")
    return problems


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def schema_problems(rows: list[dict]) -> list[str]:
    problems = []
    for n, row in enumerate(rows, 1):
        where = f"line {n} ({row.get('id')!r})" if isinstance(row, dict) else f"line {n}"
        if not isinstance(row, dict):
            problems.append(f"{where}: not an object")
            continue
        if set(row) != TOP_KEYS:
            problems.append(f"{where}: keys {sorted(row)}, expected {sorted(TOP_KEYS)}")
            continue
        for key in ("id", "lang", "motivation_app", "instruction"):
            value = row[key]
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                problems.append(f"{where}: {key} must be a non-empty string without outer spaces, got {value!r}")
        if row["lang"] not in LANGS:
            problems.append(f"{where}: lang {row['lang']!r} is not one of {LANGS}")
        instances = row["instances"]
        if not isinstance(instances, list) or len(instances) != 1:
            problems.append(f"{where}: instances must be a list of exactly one object")
            continue
        instance = instances[0]
        if not isinstance(instance, dict) or set(instance) != INSTANCE_KEYS:
            problems.append(f"{where}: the instance must have exactly the keys {sorted(INSTANCE_KEYS)}")
            continue
        if not isinstance(instance["input"], str):
            problems.append(f"{where}: input must be a string")
        elif instance["input"] and not instance["input"].strip():
            problems.append(f"{where}: input is blank but not empty")
        if instance["output"] != "":
            problems.append(f"{where}: output must be \"\" (the set has no reference answers)")
    return problems


def _by_lang(rows: list[dict]) -> dict[str, list[dict]]:
    return {lang: [r for r in rows if r.get("lang") == lang] for lang in LANGS}


def _has_input(row: dict) -> bool:
    return bool(row["instances"][0]["input"].strip())


def count_problems(rows: list[dict]) -> list[str]:
    return [f"{len(group)} {lang} items, expected {PER_LANG}"
            for lang, group in _by_lang(rows).items() if len(group) != PER_LANG]


def id_problems(rows: list[dict]) -> list[str]:
    problems = []
    ids = [r.get("id") for r in rows]
    for dup, n in Counter(ids).items():
        if n > 1:
            problems.append(f"id {dup!r} is used {n} times")
    for row in rows:
        match = ID_RE.match(str(row.get("id")))
        if not match:
            problems.append(f"id {row.get('id')!r} is not <lang>_<4 digits>")
        elif match.group(1) != row.get("lang"):
            problems.append(f"id {row['id']!r} does not match lang {row.get('lang')!r}")
    for lang, group in _by_lang(rows).items():
        expected = [f"{lang}_{n:04d}" for n in range(1, PER_LANG + 1)]
        if sorted(r.get("id") for r in group) != expected:
            problems.append(f"{lang} ids are not exactly {expected[0]}..{expected[-1]}")
    return problems


def app_problems(rows: list[dict]) -> list[str]:
    problems = []
    for lang, group in _by_lang(rows).items():
        apps = Counter(r["motivation_app"] for r in group)
        if len(apps) < MIN_APPS:
            problems.append(f"{lang}: {len(apps)} distinct motivation_app values, need at least {MIN_APPS}")
        for app, n in apps.items():
            if n > MAX_PER_APP:
                problems.append(f"{lang}: {app!r} has {n} items, at most {MAX_PER_APP} allowed")
    return problems


def input_share_problems(rows: list[dict]) -> list[str]:
    problems = []
    for lang, group in _by_lang(rows).items():
        if not group:
            continue
        share = sum(map(_has_input, group)) / len(group)
        if share < MIN_WITH_INPUT:
            problems.append(f"{lang}: {share:.0%} of items have an input, need at least {MIN_WITH_INPUT:.0%}")
        if 1 - share < MIN_WITHOUT_INPUT:
            problems.append(f"{lang}: {1 - share:.0%} of items have no input, need at least {MIN_WITHOUT_INPUT:.0%}")
    return problems


def hangul_syllable_share(text: str) -> float:
    letters = LETTER.findall(text)
    if not letters:
        return 0.0
    return sum(1 for ch in letters if HANGUL_SYLLABLE.match(ch)) / len(letters)


def script_problems(rows: list[dict]) -> list[str]:
    """Korean instructions are mostly Hangul; English items have no Hangul at all."""
    problems = []
    groups = _by_lang(rows)
    for row in groups["ko"]:
        share = hangul_syllable_share(row["instruction"])
        if share < MIN_HANGUL_SHARE:
            problems.append(f"{row['id']}: only {share:.0%} of the instruction's letters are Hangul syllables")
    for row in groups["en"]:
        for field, text in (("instruction", row["instruction"]), ("input", row["instances"][0]["input"])):
            if ANY_HANGUL.search(text):
                problems.append(f"{row['id']}: Hangul in the English item's {field}")
    return problems


def _tokenized(lang: str, texts: list[str]) -> list[list[str]]:
    tokenizer = tokenizer_for(lang)
    return [tokenizer.tokenize(text) for text in texts]


def rouge_within_problems(rows: list[dict], threshold: float = MAX_ROUGE_WITHIN) -> list[str]:
    """No two instructions of one language above the threshold (project tokenizer)."""
    problems = []
    for lang, group in _by_lang(rows).items():
        name = tokenizer_for(lang).name
        tokens = _tokenized(lang, [r["instruction"] for r in group])
        for row, toks in zip(group, tokens):
            if not toks:  # a tokenizer that cannot see the script would make every score 0
                problems.append(f"{row['id']}: the {name} tokenizer finds no tokens in the instruction")
        masks = [token_masks(t) for t in tokens]
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                score = rouge_l_f1(tokens[j], tokens[i], masks[j])
                if score > threshold:
                    problems.append(f"{lang} ({name}): {group[i]['id']} and {group[j]['id']} "
                                    f"have ROUGE-L F1 {score:.3f} > {threshold}")
    return problems


def rouge_against_problems(rows: list[dict], others: list[str], lang: str, threshold: float) -> list[str]:
    """No instruction of ``lang`` above the threshold against any of ``others``."""
    group = _by_lang(rows)[lang]
    ours = _tokenized(lang, [r["instruction"] for r in group])
    theirs = _tokenized(lang, others)
    problems = []
    for row, toks in zip(group, ours):
        masks = token_masks(toks)
        score, k = max(((rouge_l_f1(toks, other, masks), k) for k, other in enumerate(theirs)), default=(0.0, -1))
        if score > threshold:
            problems.append(f"{row['id']}: ROUGE-L F1 {score:.3f} > {threshold} with {others[k]!r}")
    return problems


ROW_CHECKS = {
    "schema": schema_problems,
    "counts": count_problems,
    "ids": id_problems,
    "apps": app_problems,
    "input_share": input_share_problems,
    "script": script_problems,
    "rouge_within": rouge_within_problems,
}


# --- the real file --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    assert EVAL_SET.is_file(), f"{EVAL_SET} is missing"
    assert file_problems(EVAL_SET) == []
    return load_rows(EVAL_SET)


def test_file_is_utf8_json_lines_with_200_objects():
    assert file_problems(EVAL_SET) == []


def test_schema_is_user_oriented_plus_lang(rows):
    assert schema_problems(rows) == []


def test_100_items_per_language(rows):
    assert count_problems(rows) == []


def test_ids_are_unique_and_well_formed(rows):
    assert id_problems(rows) == []


def test_apps_are_spread(rows):
    assert app_problems(rows) == []


def test_mix_of_items_with_and_without_input(rows):
    assert input_share_problems(rows) == []


def test_korean_is_hangul_and_english_has_none(rows):
    assert script_problems(rows) == []


def test_no_near_duplicate_instructions_within_a_language(rows):
    assert rouge_within_problems(rows) == []


@pytest.mark.shared
@pytest.mark.skipif(not KULLM.exists(), reason="../shared KULLM user-oriented translation is not here")
def test_korean_instructions_are_not_near_kullm():
    kullm = [json.loads(line)["instruction"] for line in KULLM.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(kullm) > 200
    rows = load_rows(EVAL_SET)
    assert rouge_against_problems(rows, kullm, "ko", MAX_ROUGE_KULLM) == []
    # The check bites: a KULLM instruction planted in the set is caught.
    planted = [dict(r) for r in rows]
    first_ko = next(i for i, r in enumerate(planted) if r["lang"] == "ko")
    planted[first_ko]["instruction"] = kullm[17]
    assert rouge_against_problems(planted, kullm, "ko", MAX_ROUGE_KULLM)


# --- the scorer -------------------------------------------------------------------------------


def test_lcs_matches_plain_dynamic_programming():
    rng = random.Random(20240601)
    for _ in range(300):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 70))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 70))]
        assert lcs_length(a, b) == _lcs_dp(a, b), (a, b)
    assert rouge_l_f1(list("abc"), list("abc")) == 1.0
    assert rouge_l_f1(list("abc"), list("xyz")) == 0.0
    assert rouge_l_f1([], list("abc")) == 0.0


def test_rouge_matches_rouge_score_on_english():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    english = [r["instruction"] for r in load_rows(EVAL_SET) if r["lang"] == "en"][:25]
    tokens = _tokenized("en", english)
    for i in range(len(english)):
        for j in range(i + 1, len(english)):
            expected = scorer.score(english[i], english[j])["rougeL"].fmeasure
            assert rouge_l_f1(tokens[j], tokens[i]) == pytest.approx(expected, abs=1e-12)


# --- every check can fail: broken copies in a temporary directory --------------------------------


def _set(index, **fields):
    def mutate(rows):
        rows[index].update(fields)
    return mutate


def _set_instance(index, **fields):
    def mutate(rows):
        rows[index]["instances"][0].update(fields)
    return mutate


def _each(lang, fn):
    def mutate(rows):
        for k, row in enumerate(r for r in rows if r["lang"] == lang):
            fn(k, row)
    return mutate


def _near_duplicate(lang):
    def mutate(rows):
        group = [r for r in rows if r["lang"] == lang]
        group[1]["instruction"] = group[0]["instruction"] + (" Thanks." if lang == "en" else " 감사합니다.")
    return mutate


def _first_ko(rows):
    return next(r for r in rows if r["lang"] == "ko")


BROKEN_ROWS = {
    "extra top-level key": ("schema", _set(0, output="")),
    "missing motivation_app": ("schema", lambda rows: rows[3].pop("motivation_app")),
    "two instances": ("schema", lambda rows: rows[4]["instances"].append({"input": "", "output": ""})),
    "reference output": ("schema", _set_instance(5, output="A reference answer.")),
    "input is null": ("schema", _set_instance(6, input=None)),
    "unknown lang": ("schema", _set(7, lang="ja")),
    "language imbalance": ("counts", lambda rows: _first_ko(rows).update(lang="en")),
    "duplicate id": ("ids", _set(1, id="en_0001")),
    "malformed id": ("ids", _set(2, id="en_3")),
    "id prefix disagrees with lang": ("ids", lambda rows: _first_ko(rows).update(id="en_0101")),
    "one app over the limit": ("apps", _each("en", lambda k, r: r.update(motivation_app="Gmail") if k < 9 else None)),
    "too few apps": ("apps", _each("ko", lambda k, r: r.update(motivation_app=f"App{k % (MIN_APPS - 1)}"))),
    "too few inputs": ("input_share", _each("en", lambda k, r: r["instances"][0].update(input=""))),
    "too few without input": ("input_share", _each("ko", lambda k, r: r["instances"][0].update(input="메모"))),
    "Korean item in English": ("script", lambda rows: _first_ko(rows).update(
        instruction="Summarize this KakaoTalk chat in three bullet points.")),
    "Hangul in an English item": ("script", _set(0, instruction="Translate 안녕하세요 into French.")),
    "English near-duplicate": ("rouge_within", _near_duplicate("en")),
    "Korean near-duplicate": ("rouge_within", _near_duplicate("ko")),
}


def _write_rows(path: Path, rows: list[dict], ensure_ascii: bool = False) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=ensure_ascii) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.parametrize("case", sorted(BROKEN_ROWS))
def test_row_checks_catch_a_broken_copy(case, tmp_path):
    check, mutate = BROKEN_ROWS[case]
    rows = load_rows(EVAL_SET)
    mutate(rows)
    broken = tmp_path / "eval_set.jsonl"
    _write_rows(broken, rows)
    reloaded = load_rows(broken)
    assert ROW_CHECKS[check](reloaded), f"{check} missed: {case}"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


BROKEN_FILES = {
    "a line of bad JSON": lambda p: p.write_text("\n".join(_lines(EVAL_SET)[:-1] + ["{not json"]) + "\n", encoding="utf-8"),
    "199 lines": lambda p: p.write_text("\n".join(_lines(EVAL_SET)[:-1]) + "\n", encoding="utf-8"),
    "a blank line": lambda p: p.write_text("\n".join(_lines(EVAL_SET)[:100] + [""] + _lines(EVAL_SET)[100:]) + "\n",
                                           encoding="utf-8"),
    "a JSON array line": lambda p: p.write_text("\n".join(_lines(EVAL_SET)[:-1] + ["[1, 2]"]) + "\n", encoding="utf-8"),
    "Korean escaped": lambda p: _write_rows(p, load_rows(EVAL_SET), ensure_ascii=True),
    "not UTF-8": lambda p: p.write_bytes(EVAL_SET.read_text(encoding="utf-8").encode("cp949", errors="replace")),
    "no final newline": lambda p: p.write_text("\n".join(_lines(EVAL_SET)), encoding="utf-8"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
def test_file_check_catches_a_broken_copy(case, tmp_path):
    broken = tmp_path / "eval_set.jsonl"
    BROKEN_FILES[case](broken)
    assert file_problems(broken), f"file check missed: {case}"
