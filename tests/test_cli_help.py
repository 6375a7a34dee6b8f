"""Help and usage errors by convention, through the real CLI: ``--help``/``-h`` on stdout
(exit 0, no fire INFO line, types in words) for every command of the CLI's own table,
one ``alpaca-gen: error:`` line with a suggestion for a misspelt flag or command, short
options refused; ``seeds check`` on files that are not JSONL; ``dedup --dropped``."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alpaca_gen.argv import command_table, suggest
from alpaca_gen.cli import USAGE, _build_commands
from alpaca_gen.errors import DataError, UsageError
from alpaca_gen.options import command_params
from alpaca_gen.tokenizers import tokenizer_for

try:
    from tests.conftest import run_cli_concurrently
except ImportError:  # tests/ not importable as a package
    from conftest import run_cli_concurrently

EX_USAGE, EX_DATAERR = UsageError.exit_code, DataError.exit_code
COMMANDS, GROUPS = _build_commands()
#: Every command the CLI runs, from its own table: a command added later is covered here.
TABLE = command_table(COMMANDS, GROUPS)
PATHS = sorted(TABLE)


def one_error_line(result, code: int = EX_USAGE) -> str:
    assert result.returncode == code, (result.returncode, result.stdout[-1500:], result.stderr[-1500:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("alpaca-gen: error: "), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return lines[0]


# -- --help -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helps(tmp_path_factory):
    """--help and -h of every command, each group's --help, a group alone: run at once."""
    cwd = tmp_path_factory.mktemp("help")
    asks = [(*path, flag) for path in PATHS for flag in ("--help", "-h")]
    asks += [(group, "--help") for group in GROUPS] + [(group, "-h") for group in GROUPS] + [(group,) for group in GROUPS]
    asks += [("help", *PATHS[0]), ("generate", "--model_name", "--help"), ("generate", "--", "--help")]
    results = run_cli_concurrently(asks, cwd=cwd, timeout=120)
    assert not list(cwd.iterdir()), "asking for help wrote files"
    return dict(zip(asks, results))


def test_the_table_has_the_commands():
    assert {("generate",), ("check",), ("export",), ("report",), ("dedup",), ("seeds", "check"),
            ("batch", "prepare"), ("batch", "ingest")} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_help_on_stdout_for_every_command(helps, path):
    handler = TABLE[path]
    for flag in ("--help", "-h"):
        result = helps[(*path, flag)]
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", f"{' '.join(path)} {flag} wrote to stderr: {result.stderr!r}"
        text = result.stdout
        assert "INFO:" not in text and "Showing help" not in text and "Traceback" not in text
        assert "Optional[" not in text and "Type:" not in text and "NoneType" not in text
        assert text.startswith(f"usage: alpaca-gen {' '.join(path)} ")
        for p in command_params(handler):
            if p.name in handler.spec.positional:
                assert re.search(rf"(?m)^  {p.name.upper()}  .*\(or --{p.name}\)$", text), p.name
                assert p.name.upper() in text.splitlines()[0], "positional argument missing from the usage line"
            elif p.kind == "bool":
                assert re.search(rf"(?m)^  --{p.name} / --no{p.name}\b", text), p.name
            elif p.kind == "choice":
                assert re.search(rf"(?m)^  --{p.name} {re.escape('|'.join(map(str, p.choices)))}\b", text), p.name
            else:
                assert p.kind in ("int", "float", "seconds", "text", "path", "url", "duration")
                assert re.search(rf"(?m)^  --{p.name} {p.kind}\b", text), p.name
    assert helps[(*path, "--help")].stdout == helps[(*path, "-h")].stdout


def test_help_writes_types_and_defaults_as_a_person_would(helps):
    text = helps[("generate", "--help")].stdout
    for line in ("  --num_instructions_to_generate int  (default: 100, at least 1)",
                 "  --temperature float  (default: 1.0, 0 to 2)",
                 "  --output_dir path  (default: ./)",
                 "  --seed_tasks_path path",
                 "  --model_name text",
                 "  --base_url url",
                 "  --lang en|ko  (default: en)",
                 "  --dry_run / --nodry_run  (default: false)",
                 "  --similarity_stats / --nosimilarity_stats  (default: true)",
                 "  --rpm float  (more than 0)",
                 "  --request_timeout seconds  (default: 300.0, 0.001 to 86400)"):
        assert line + "\n" in text, line
    # What --local changes is shown beside the default, and only where it differs.
    assert "  --max_tokens int  (default: 3072, with --local: 256, at least 16)\n" in text
    assert "  --concurrency int  (default: 4, with --local: 1, at least 1)\n" in text
    assert "  --api completions|chat  (default: completions)\n" in text
    assert "  --max_tokens int  (default: 1024, with --local: 256, at least 16)\n" in helps[("respond", "--help")].stdout
    assert "with --local" not in helps[("check", "--help")].stdout
    assert "usage: alpaca-gen check INPUT [--flags]" in helps[("check", "--help")].stdout
    assert "usage: alpaca-gen seeds check [PATH] [--flags]" in helps[("seeds", "check", "--help")].stdout
    assert "usage: alpaca-gen batch ingest OUTPUT_DIR RESULTS [--flags]" in helps[("batch", "ingest", "--help")].stdout
    export = helps[("export", "--help")].stdout
    assert "  --tokenizer path\n" in export and "  --format alpaca|jsonl|messages|sharegpt|llama-factory|parquet|sft" in export


def test_help_asked_other_ways(helps):
    first = helps[(*PATHS[0], "--help")].stdout
    assert helps[("help", *PATHS[0])].stdout == first
    generate = helps[("generate", "--help")].stdout
    assert helps[("generate", "--model_name", "--help")].stdout == generate  # help wins over a missing value
    assert helps[("generate", "--", "--help")].stdout == generate  # fire's way of asking


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_group_help(helps, group):
    subs = sorted(path[1] for path in PATHS if path[0] == group)
    for ask in ((group, "--help"), (group, "-h"), (group,)):
        result = helps[ask]
        assert result.returncode == 0 and result.stderr == "", result.stderr
        assert result.stdout.startswith(f"usage: alpaca-gen {group} COMMAND")
        for sub in subs:
            assert re.search(rf"(?m)^  {sub} +\S", result.stdout), sub
        assert "INFO:" not in result.stdout


def test_top_level_usage_lists_every_command():
    for path in PATHS:
        assert re.search(rf"(?m)^  {' '.join(path)} ", USAGE) or re.search(rf"(?m)^  {path[0]} ", USAGE), path


def test_a_new_command_gets_help_and_checks_without_code_of_its_own():
    """What command(...) builds is all the help and the checks need (as for respond)."""
    from dataclasses import dataclass

    from alpaca_gen.argv import parse
    from alpaca_gen.options import Options, command, command_help, flag

    @dataclass
    class TranslateOptions(Options):
        input: str = flag("", "The records.")
        output_dir: str = flag("out", "Where to write.")
        target: str = flag("ko", "The language to translate into.", choices=("en", "ko"))
        beams: int = flag(4, "Beam width.", low=1, high=16)
        keep_source: bool = flag(True, "Keep the source text.")
        style: str | None = flag(None, "A style note for the prompt.")

    commands = type("Commands", (), {"translate": command(TranslateOptions, lambda **v: v, "Translate records.",
                                                          positional=("input",))})
    text = command_help(commands.translate, "alpaca-gen translate")
    for line in ("usage: alpaca-gen translate INPUT [--flags]", "  INPUT  path  (or --input)",
                 "  --output_dir path  (default: out)", "  --target en|ko  (default: ko)",
                 "  --beams int  (default: 4, 1 to 16)", "  --keep_source / --nokeep_source  (default: true)",
                 "  --style text"):
        assert line + "\n" in text, line
    assert parse(["translate", "--help"], commands, {}).help == text
    assert parse(["translate", "a.json", "--nokeep_source", "--beams=2"], commands, {}).given == {"keep_source", "beams"}
    with pytest.raises(UsageError, match=r"did you mean --beams\?"):
        parse(["translate", "a.json", "--beam", "2"], commands, {})
    with pytest.raises(UsageError, match="did you mean 'translate'"):
        parse(["translat"], commands, {})


# -- suggestions --------------------------------------------------------------------------------------

# (command line, what the one error line must say, what it must not say)
SUGGESTIONS = [
    (("generate", "--model", "gpt-4o-mini"), "did you mean --model_name?", "--seed"),
    (("generate", "--num_instructions", "10"), "did you mean --num_instructions_to_generate?", "num_prompt"),
    (("generate", "--num_instruction_to_generate", "10"), "did you mean --num_instructions_to_generate?", "num_prompt"),
    (("generate", "--temprature", "0.5"), "did you mean --temperature?", None),
    (("generate", "--modle_name", "x"), "did you mean --model_name?", None),
    (("generate", "--seed_file", "s.jsonl"), "did you mean --seed_tasks_path?", None),
    (("generate", "--output_directory", "o"), "did you mean --output_dir?", None),
    (("generate", "--out", "o"), "did you mean --output_dir?", None),
    (("generate", "--threads", "2"), "did you mean --local_threads?", None),
    (("generate", "--timeout", "9"), "did you mean --request_timeout?", None),
    (("generate", "--Lang", "ko"), "did you mean --lang?", None),
    (("dedup", "in.jsonl", "--threshold", "0.8"), "did you mean --similarity_threshold?", None),
    (("dedup", "in.jsonl", "--out", "o.jsonl"), "did you mean --output?", None),
    (("dedup", "in.jsonl", "--num_instructions_to_generate", "4"), "is a flag of 'generate'", None),
    (("check", "data.json", "--flag", "f.jsonl"), "did you mean --flagged?", None),
    (("seeds", "check", "--treshold", "0.5"), "did you mean --threshold?", None),
    (("generat",), "unknown command 'generat' (did you mean 'generate'?)", None),
    (("dedupe", "x"), "did you mean 'dedup'?", None),
    (("reprot", "x"), "did you mean 'report'?", None),
    (("seeds", "chek"), "unknown command 'seeds chek' (did you mean 'seeds check'?)", None),
    (("batch", "prepar"), "did you mean 'batch prepare'?", None),
    (("prepare", "out"), "did you mean 'batch prepare'?", None),
    (("--num_instructions_to_generate", "5"), "expected a command before --num_instructions_to_generate", None),
]


@pytest.fixture(scope="module")
def misspelt(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("misspelt")
    results = run_cli_concurrently([case[0] for case in SUGGESTIONS], cwd=cwd, timeout=120)
    assert not list(cwd.iterdir()), "a misspelt command line wrote files"
    return results


@pytest.mark.parametrize("k", range(len(SUGGESTIONS)), ids=[" ".join(c[0]) for c in SUGGESTIONS])
def test_misspelt_flag_or_command_gets_one_line_and_a_suggestion(misspelt, k):
    args, wanted, unwanted = SUGGESTIONS[k]
    line = one_error_line(misspelt[k])
    assert wanted in line, line
    assert unwanted is None or unwanted not in line, line
    assert "see 'alpaca-gen" in line and "--help'" in line


GENERATE_FLAGS = [p.name for p in command_params(TABLE[("generate",)])]


@pytest.mark.parametrize("typed,expected", [
    ("model", ["model_name"]),
    ("num_instructions", ["num_instructions_to_generate"]),
    ("num_instruction_to_generate", ["num_instructions_to_generate"]),
    ("num_instr", ["num_instructions_to_generate"]),
    ("nun_instructions", ["num_instructions_to_generate"]),
    ("model_names", ["model_name"]),
    ("seeds_path", ["seed_tasks_path"]),
    ("poll_interval", ["batch_poll_interval"]),
    ("dryrun", ["dry_run"]),
    ("max-tokens", ["max_tokens"]),
    ("instructions", ["num_prompt_instructions", "num_instructions_to_generate"]),  # both fit: both offered
    ("n", ["num_cpus", "num_prompt_instructions", "num_instructions_to_generate"]),
    ("zzz", []),
])
def test_suggestion_table(typed, expected):
    assert suggest(typed, GENERATE_FLAGS)[:len(expected) or None] == expected


def test_a_longer_flag_of_another_command_suggests_the_one_it_begins_with():
    respond = [p.name for p in command_params(TABLE[("respond",)])]
    assert suggest("output_dir", respond) == ["output"]
    assert suggest("lang_code", respond) == ["lang"]


def test_suggestions_for_commands():
    tops = sorted({path[0] for path in PATHS})
    assert suggest("generat", tops) == ["generate"]
    assert suggest("gen", tops) == ["generate"]
    assert suggest("chek", ["check"]) == ["check"]
    assert suggest("exprot", tops) == ["export"]
    assert "num_cpus" in suggest("num", GENERATE_FLAGS)  # several fit: all are offered


# -- short options and what fire would misread ------------------------------------------------------------


def test_short_options_are_refused_in_one_line(run_cli_many, tmp_path):
    cases = [(("generate", "-n", "10"), "-n", "generate "), (("check", "data.json", "-o", "out.json"), "-o", "check "),
             (("seeds", "check", "-l", "ko"), "-l", "seeds check "), (("seeds", "-l"), "-l", "seeds "),
             (("-n", "10"), "-n", ""), (("generate", "--num_instructions_to_generate", "5", "-v"), "-v", "generate ")]
    results = run_cli_many([args for args, _, _ in cases])
    for (args, short, where), result in zip(cases, results):
        assert one_error_line(result) == (f"alpaca-gen: error: {short}: short options are not supported; use --long "
                                          f"names (see 'alpaca-gen {where}--help')"), args
    assert not (tmp_path / "regen.json").exists()


def test_what_fire_would_misread_is_one_line_and_runs_nothing(run_cli_many, tmp_path):
    records = [{"instruction": "Name a color.", "input": "", "output": "Red."}]
    (tmp_path / "in.jsonl").write_text(json.dumps(records) + "\n", encoding="utf-8")
    cases = [
        (("check", "a", "b", "c"), "too many arguments: 'check' takes INPUT, then --flags; unexpected 'b' 'c'"),
        (("dedup", "in.jsonl", "out.jsonl"), "too many arguments: 'dedup' takes INPUT"),
        (("batch", "ingest", "o", "r.jsonl", "more"), "'batch ingest' takes OUTPUT_DIR RESULTS"),
        (("check", "a.json", "--input", "b.json"), "INPUT given twice: as 'a.json' and as --input b.json"),
        (("generate", "out"), "'generate' takes only --flags; unexpected 'out'"),
        (("generate", "--max_tokens"), "--max_tokens needs a value (int)"),
        (("generate", "--lang", "--dry_run"), "--lang needs a value (en|ko)"),
        (("generate", "--nomax_tokens"), "only true/false flags have a --no form"),
        (("report", "in.jsonl", "--noverbs", "x"), "--noverbs takes no value"),
        (("generate", "--", "--trace"), "unexpected '--'"),
        (("seeds", "--lang", "ko"), "'seeds' needs a command before --lang: check"),
    ]
    results = run_cli_many([args for args, _ in cases])
    for (args, wanted), result in zip(cases, results):
        line = one_error_line(result)
        assert wanted in line, (args, line)
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "regen.json").exists()


def test_flags_fire_reads_still_work(run_cli_many, tmp_path):
    """--flag=VALUE, --flag-with-hyphens, --noflag and a negative number as a value get past the checks."""
    records = [{"instruction": f"Explain topic number {i} to a child.", "input": "", "output": "It is simple."}
               for i in range(3)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    results = run_cli_many([
        ("dedup", "in.jsonl", "--output=a.jsonl", "--similarity-threshold", "0.9"),
        ("check", "--input", "in.jsonl", "--nostrict", "--json"),
        ("generate", "--seed", "-1", "--dry_run"),
    ])
    assert results[0].returncode == 0, results[0].stderr
    assert (tmp_path / "a.jsonl").exists()
    assert results[1].returncode == 0 and json.loads(results[1].stdout)["records"] == 3, results[1].stderr
    line = one_error_line(results[2])
    assert "--seed must be" in line and "-1" in line  # reached the option's own check


# -- seeds check on files that are not JSONL ---------------------------------------------------------------


def test_seeds_check_on_a_json_list(run_cli, tmp_path):
    tasks = [json.loads(line) for line in (Path(__file__).resolve().parents[1] / "seed_tasks.jsonl")
             .read_text(encoding="utf-8").splitlines()[:60]]
    (tmp_path / "seeds.json").write_text(json.dumps(tasks, indent=4, ensure_ascii=False), encoding="utf-8")
    result = run_cli("seeds", "check", "seeds.json")
    assert result.returncode == EX_DATAERR, result.stderr
    assert result.stdout.count("expected JSONL (one object a line)") == 1, result.stdout
    problems = [line for line in result.stdout.splitlines() if line.strip().startswith("problem:")]
    assert len(problems) == 1 and "a JSON list of 60 items" in problems[0] and "jq -c" in problems[0], result.stdout
    assert "not valid JSON" not in result.stdout
    assert len(result.stdout.splitlines()) <= 4
    one_error_line(result, EX_DATAERR)
    # generate names the same cause in its one line
    gen = run_cli("generate", "--seed_tasks_path", "seeds.json", "--dry_run")
    assert "expected JSONL (one object a line)" in one_error_line(gen, EX_DATAERR)


def test_seeds_check_stops_listing_after_20_problems(run_cli, tmp_path):
    lines = ["name,instruction,output"] + [f"task{i},Explain idea {i},An answer" for i in range(299)]
    (tmp_path / "seeds.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("seeds", "check", "seeds.csv")
    assert result.returncode == EX_DATAERR
    out = result.stdout.splitlines()
    problems = [line for line in out if line.strip().startswith("problem:")]
    assert len(problems) == 20, result.stdout
    assert problems[0].strip() == "problem: expected JSONL (one object a line): 300 of its 300 lines are not JSON objects"
    assert result.stdout.count("expected JSONL") == 1
    assert "  ... and 281 more problems" in out  # 300 lines + the note = 301, 20 shown
    assert len(out) < 30


def test_seeds_check_of_a_good_file_with_one_bad_line_has_no_jsonl_note(run_cli, tmp_path):
    good = (Path(__file__).resolve().parents[1] / "seed_tasks.jsonl").read_text(encoding="utf-8").splitlines()[:10]
    (tmp_path / "seeds.jsonl").write_text("\n".join(good[:5] + ['{"id": "x", "instruction": '] + good[5:]) + "\n",
                                          encoding="utf-8")
    result = run_cli("seeds", "check", "seeds.jsonl")
    assert result.returncode == EX_DATAERR
    assert "expected JSONL" not in result.stdout and "line 6: not valid JSON" in result.stdout


# -- dedup --dropped ---------------------------------------------------------------------------------------

EN = ["Give three tips for staying healthy.", "Name the capital city of Australia.",
      "Give me three tips for staying healthy.", "Write a short poem about the autumn rain.",
      "What is the capital city of Australia?", "Explain how a rainbow forms in the sky.",
      "Write a short poem about autumn rain.", "Summarize the following article in two sentences.",
      "Explain how rainbows form in the sky.", "Sort the following numbers in ascending order.",
      "Give three tips for staying healthy!"]
KO = ["다음 문장을 영어로 번역해 주세요.", "비 오는 날에 어울리는 노래 다섯 곡을 추천해 주세요.",
      "다음 문장을 영어로 번역하세요.", "초등학생에게 광합성이 무엇인지 쉽게 설명해 주세요.",
      "주어진 글을 세 문장으로 요약해 주세요.", "비 오는 날 듣기 좋은 노래 다섯 곡을 추천해 주세요.",
      "김치찌개를 맛있게 끓이는 방법을 단계별로 알려 주세요.", "초등학생한테 광합성이 뭔지 쉽게 설명해 주세요.",
      "면접에서 자주 나오는 질문과 모범 답변을 정리해 주세요.", "주어진 글을 세 문장으로 요약하세요.",
      "건강을 지키는 생활 습관 세 가지를 알려 주세요."]
KO_SEED = {"id": "seed_ko_habits", "name": "habits", "instruction": "건강을 지키는 생활 습관 세 가지를 알려 주세요!",
           "instances": [{"input": "", "output": "잘 자고, 잘 먹고, 꾸준히 움직이세요."}],
           "is_classification": False, "lang": "ko"}


def rouge_l_f1(a: list[str], b: list[str]) -> float:
    """ROUGE-L F1 from a plain LCS table (independent of the index's bit-parallel search)."""
    if not a or not b:
        return 0.0
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    lcs = table[-1][-1]
    p, r = lcs / len(b), lcs / len(a)
    return 2 * p * r / (p + r) if lcs else 0.0


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_dedup_dropped_lists_each_drop_with_what_it_duplicated(run_cli, tmp_path, lang):
    texts = EN if lang == "en" else KO
    records = [{"instruction": t, "input": "", "output": f"answer {i}", "n": i} for i, t in enumerate(texts)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                       encoding="utf-8")
    args = ["dedup", "in.jsonl", "--output", "out.json", "--dropped", "dropped.jsonl", "--lang", lang]
    seeds = []
    if lang == "ko":
        (tmp_path / "seeds.jsonl").write_text(json.dumps(KO_SEED, ensure_ascii=False) + "\n", encoding="utf-8")
        args += ["--seed_tasks_path", "seeds.jsonl"]
        seeds = [KO_SEED["instruction"]]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    kept = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in (tmp_path / "dropped.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert len(lines) >= 4
    assert len(kept) + len(lines) == len(records)
    dropped_at = [line["index"] for line in lines]
    assert dropped_at == sorted(dropped_at)
    assert kept == [r for i, r in enumerate(records) if i not in dropped_at]  # input order, the rest kept
    assert f"kept {len(kept)} of {len(records)} records, dropped {len(lines)} near duplicates" in result.stdout
    assert "dropped.jsonl" in result.stdout
    tok = tokenizer_for(lang).tokenize
    for line in lines:
        i = line["index"]
        assert line["record"] == records[i]
        dup = line["duplicate_of"]
        if "seed_id" in dup:
            assert dup == {"seed_id": KO_SEED["id"], "instruction": KO_SEED["instruction"]}
            other = dup["instruction"]
        else:
            assert dup["index"] < i and dup["index"] not in dropped_at
            assert dup["record"] == records[dup["index"]] == kept[dup["output_index"]]
            other = dup["record"]["instruction"]
        score = line["rouge_l_f1"]
        assert score > 0.7
        assert score == pytest.approx(rouge_l_f1(tok(records[i]["instruction"]), tok(other)), abs=1e-12)
        # the closest of the seeds and the records kept before it
        pool = seeds + [r["instruction"] for r in records[:i] if r["n"] not in dropped_at]
        assert score == pytest.approx(max(rouge_l_f1(tok(records[i]["instruction"]), tok(t)) for t in pool), abs=1e-12)
    if lang == "ko":
        assert any("seed_id" in line["duplicate_of"] for line in lines), "the record near the seed is listed"
        assert "번역" in (tmp_path / "dropped.jsonl").read_text(encoding="utf-8")  # Korean unescaped


def test_dedup_of_a_mixed_file_compares_each_language_with_itself(run_cli_many, tmp_path):
    """English and Korean records interleaved: the default --lang auto drops exactly what dedup drops
    in each language alone (and in input order); --lang en would keep every Korean near duplicate."""
    en_seed = {"id": "seed_en_poem", "name": "poem", "instruction": "Write a short poem about the autumn rain!",
               "instances": [{"input": "", "output": "Grey drops."}], "is_classification": False, "lang": "en"}
    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in (en_seed, KO_SEED)),
                                          encoding="utf-8")
    mixed = [{"instruction": t, "n": i} for i, t in enumerate(t for pair in zip(EN, KO) for t in pair)]

    def write(name, records):
        (tmp_path / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                     encoding="utf-8")

    write("mixed.jsonl", mixed)
    write("en.jsonl", [r for r in mixed if r["n"] % 2 == 0])
    write("ko.jsonl", [r for r in mixed if r["n"] % 2 == 1])
    seeds = ("--seed_tasks_path", "seeds.jsonl")
    auto, en_only, ko_only, as_en = run_cli_many([
        ("dedup", "mixed.jsonl", "--output", "auto.jsonl", "--dropped", "auto-dropped.jsonl", *seeds),
        ("dedup", "en.jsonl", "--output", "en-out.jsonl", "--lang", "en", *seeds),
        ("dedup", "ko.jsonl", "--output", "ko-out.jsonl", "--lang", "ko", *seeds),
        ("dedup", "mixed.jsonl", "--output", "as-en.jsonl", "--lang", "en", *seeds),
    ])
    for result in (auto, en_only, ko_only, as_en):
        assert result.returncode == 0, result.stderr

    def kept(name):
        return [json.loads(line)["n"] for line in (tmp_path / name).read_text(encoding="utf-8").splitlines()]

    assert kept("auto.jsonl") == sorted(kept("en-out.jsonl") + kept("ko-out.jsonl"))
    assert any(n % 2 for n in set(range(len(mixed))) - set(kept("auto.jsonl"))), "a Korean record was dropped"
    assert [n for n in kept("as-en.jsonl") if n % 2] == [r["n"] for r in mixed if r["n"] % 2]  # all Korean kept
    lines = [json.loads(line) for line in (tmp_path / "auto-dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    for line in lines:
        dup = line["duplicate_of"]
        other = dup.get("instruction") or dup["record"]["instruction"]
        assert (line["index"] % 2 == 1) == any("\uac00" <= ch <= "\ud7a3" for ch in other)  # same language
    assert {line["duplicate_of"].get("seed_id") for line in lines} >= {"seed_en_poem", "seed_ko_habits"}
    assert "en: 11 records, rouge tokens; ko: 11 records, hangul-char tokens" in auto.stdout
    assert "2 seed instructions in the pool" in auto.stdout


def test_dedup_dropped_must_not_overwrite_the_input_or_output(run_cli_many, tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"instruction": "Name a color."}) + "\n", encoding="utf-8")
    before = (tmp_path / "in.jsonl").read_bytes()
    results = run_cli_many([("dedup", "in.jsonl", "--output", "out.jsonl", "--dropped", "in.jsonl"),
                            ("dedup", "in.jsonl", "--output", "out.jsonl", "--dropped", "out.jsonl")])
    for result in results:
        assert "--dropped must differ" in one_error_line(result)
    assert (tmp_path / "in.jsonl").read_bytes() == before and not (tmp_path / "out.jsonl").exists()


# -- addresses, dry runs and seed files a user gets slightly wrong ----------------------------------------

@pytest.mark.parametrize("url, hint", [("127.0.0.1:8000/v1", "; did you mean http://127.0.0.1:8000/v1?"),
                                       ("localhost:9/v1", "; did you mean http://localhost:9/v1?"),
                                       ("ftp://example.com/v1", ""), ("notaurl", ""), ("http:/127.0.0.1:8000/v1", ""),
                                       ("https:api.openai.com/v1", "")])
def test_a_base_url_without_http_is_refused_at_once(run_cli_many, tmp_path, url, hint):
    """Without a scheme the client could only fail to connect, retry after retry (about 25 s)."""
    generate, respond = run_cli_many([
        ("generate", "--base_url", url, "--model_name", "m", "--output_dir", tmp_path / "o"),
        ("respond", "data.jsonl", "--output", "r.jsonl", "--base_url", url),
    ])
    for result in (generate, respond):
        assert one_error_line(result) == (f"alpaca-gen: error: --base_url must be a URL starting with http:// or "
                                          f"https://, got {url!r}{hint}")
    assert not (tmp_path / "o").exists()


def test_a_local_dry_run_names_the_local_server_not_openai(run_cli, tmp_path):
    result = run_cli("generate", "--local", "--dry_run", "--output_dir", tmp_path / "o")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert "api.openai.com" not in result.stdout
    assert first.startswith("# dry run: nothing is sent. completions API at the --local server (llama.cpp on "
                            "127.0.0.1, started by a real run)")


@pytest.mark.parametrize("shape", ["json list", "jsonl"])
def test_seeds_check_on_alpaca_records_says_they_are_not_seed_tasks(run_cli, tmp_path, shape):
    records = [{"instruction": f"다음 단어 {i}개를 가나다순으로 정렬하세요.", "input": "사과, 배", "output": "배, 사과"}
               for i in range(25)]
    path = tmp_path / ("alpaca.json" if shape == "json list" else "alpaca.jsonl")
    path.write_text(json.dumps(records, ensure_ascii=False) if shape == "json list" else
                    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    result = run_cli("seeds", "check", path)
    assert result.returncode != 0
    first = next(line for line in result.stdout.splitlines() if "problem:" in line)
    assert "Alpaca records (instruction, input, output), not seed tasks" in first
    assert "jq" not in result.stdout  # converting the file would not help
    if shape == "json list":
        assert "a JSON list of 25 items" in first
    else:
        assert "its 25 lines are Alpaca records" in first and "... and 6 more problems" in result.stdout


@pytest.mark.parametrize("value, seconds", [("90", 90.0), ("5m", 300.0), ("1h30m", 5400.0), ("500ms", 0.5), ("0.25", 0.25)])
def test_flags_in_seconds_also_take_durations(value, seconds):
    from alpaca_gen.config import GenerateConfig

    config = GenerateConfig.from_flags(request_timeout=value, batch_poll_interval=value)
    assert config.request_timeout == config.batch_poll_interval == seconds
    assert GenerateConfig.from_flags(backoff_base="500ms").backoff_base == 0.5


@pytest.mark.parametrize("value, says", [("soon", "must be seconds or a duration such as 30s or 5m, got 'soon'"),
                                         ("-5s", "must be seconds or a duration"),
                                         ("2d", "must be seconds or a duration"),
                                         ("25h", "must be a number from 0.001 to 86400"),
                                         ("nan", "must be seconds or a duration"), ("inf", "must be seconds")])
def test_a_bad_duration_in_a_seconds_flag_is_one_line(run_cli, tmp_path, value, says):
    result = run_cli("generate", "--dry_run", "--output_dir", tmp_path / "o", "--request_timeout", value)
    assert says in one_error_line(result)


def test_a_base_url_with_a_bad_port_is_refused_at_once(run_cli, tmp_path):
    result = run_cli("generate", "--base_url", "http://localhost:abc/v1", "--output_dir", tmp_path / "o")
    assert one_error_line(result) == "alpaca-gen: error: --base_url has a bad port: 'http://localhost:abc/v1'"
