"""``generate --dry_run``: what the run would take, before anything is sent.

Prompt tokens are counted with tiktoken when it is installed and knows the model (an
OpenAI model name), else approximated as ``respond --dry_run`` does
(:func:`alpaca_gen.respond.estimate.approx_tokens`: about 4 characters a token, a
Hangul syllable about one). The requests the target needs come from a yield, kept
records per prompt: that of the earlier runs of the output folder (runs.jsonl) when
there is one, else :data:`DEFAULT_KEPT_PER_PROMPT`, and the cost from those requests,
with completions between a typical length and ``--max_tokens``.
"""
from __future__ import annotations

import math
from typing import Callable

from .respond.estimate import approx_tokens
from .text import plural

#: Kept records per prompt assumed before any run of the output folder. Stanford Alpaca made
#: 52K records for "less than $500" with text-davinci-003 at $0.02 per 1,000 tokens: at most
#: 25M tokens, and at about 2,400 a prompt (its prompt plus 16 tasks of ~100 tokens), some
#: 10,000 prompts, 5 kept each. The test suite's fake server keeps 4 to 5.6 per prompt over
#: the first 10 prompts (both APIs), fewer as its pool fills; the bundled 135M model 0.7.
DEFAULT_KEPT_PER_PROMPT = 5.0
DEFAULT_YIELD_SOURCE = ("assumed, no earlier run in this folder: about what Stanford Alpaca's 52K records for under "
                        "$500 with text-davinci-003 imply; a small model keeps far fewer (the bundled one 0.7)")
APPROXIMATION = "approximated as about 4 characters a token and a Hangul syllable about one, which a tokenizer may count 20% either way"


def token_counter(model: str) -> tuple[Callable[[str], int], str]:
    """A prompt token counter for ``model`` and the words that say which one it is."""
    try:
        import tiktoken
    except ImportError:
        return approx_tokens, f"{APPROXIMATION}; tiktoken is not installed"
    try:
        encoding = tiktoken.encoding_for_model(model)
    except KeyError:
        return approx_tokens, f"{APPROXIMATION}; tiktoken does not know the model {model}"
    except Exception as exc:  # noqa: BLE001 - e.g. its encoding file cannot be downloaded offline
        return approx_tokens, f"{APPROXIMATION}; tiktoken could not load its encoding ({type(exc).__name__})"
    return (lambda text: len(encoding.encode(text, disallowed_special=()))), \
        f"counted with tiktoken's {encoding.name} for {model}"


def earlier_yield(runs: list[dict]) -> dict | None:
    """Kept per prompt, completion tokens per prompt and requests per second of the earlier
    generate runs in runs.jsonl (None when none answered a prompt)."""
    prompts = kept = completion = calls = 0
    elapsed = 0.0
    count = 0
    for line in runs:
        if line.get("command", "generate") != "generate" or not isinstance(line.get("stats"), dict):
            continue
        stats = line["stats"]
        stages = {s.get("stage"): s for s in stats.get("funnel") or [] if isinstance(s, dict)}
        answered = stages.get("completions", {}).get("in")
        if not isinstance(answered, int) or answered <= 0:
            continue
        count += 1
        prompts += answered
        kept += int(stats.get("kept") or 0)
        completion += int(stats.get("completion_tokens") or 0)
        calls += int(stats.get("api_calls") or 0)
        seconds = line.get("elapsed_seconds")
        elapsed += float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else 0.0
    if not prompts:
        return None
    return {"runs": count, "prompts": prompts, "kept": kept, "kept_per_prompt": kept / prompts,
            "completion_tokens_per_prompt": completion / prompts,
            "requests_per_second": calls / elapsed if elapsed > 0 and calls else None}


def _n(value: float) -> str:
    return f"{value:,.0f}"


def estimate_lines(*, texts: list[str], model: str, api: str, list_prompts: bool, request_batch_size: int,
                   target: int, existing: int, max_tokens: int, price_in: float, price_out: float, batch: bool,
                   runs: list[dict]) -> tuple[list[str], dict]:
    """The dry run's estimate lines for the prompts of the next round, and the numbers."""
    count, how = token_counter(model)
    per_prompt = sum(count(t) for t in texts) / len(texts) if texts else 0.0
    prompts_per_request = request_batch_size if api == "completions" and list_prompts else 1
    lines = []
    if prompts_per_request > 1:
        lines.append(f"# prompt tokens ≈ {_n(per_prompt * prompts_per_request)} a request: its {prompts_per_request} "
                     f"prompts, sent as one list prompt, {_n(per_prompt)} each on average ({how})")
    else:
        lines.append(f"# prompt tokens ≈ {_n(per_prompt)} a request, one prompt each (the average over the "
                     f"{plural(len(texts), 'prompt')} above; {how})")
    result = {"prompt_tokens_per_prompt": round(per_prompt, 1),
              "prompt_tokens_per_request": round(per_prompt * prompts_per_request, 1)}
    left = target - existing
    if left <= 0:
        lines.append(f"# the output already has {existing} records (target {target}): a run would send nothing")
        result["requests"] = 0
        return lines, result
    earlier = earlier_yield(runs)
    if earlier is not None and earlier["kept"] > 0:
        kept_per_prompt = earlier["kept_per_prompt"]
        source = (f"the yield of the {earlier['runs']} earlier run{'s' if earlier['runs'] != 1 else ''} in runs.jsonl, "
                  f"{earlier['kept']} kept from {earlier['prompts']} prompts; it falls as the pool fills")
    else:
        kept_per_prompt = DEFAULT_KEPT_PER_PROMPT
        source = DEFAULT_YIELD_SOURCE if earlier is None else \
            f"assumed: the {earlier['prompts']} prompts of the earlier runs here kept nothing"
    rounds = math.ceil(math.ceil(left / kept_per_prompt) / request_batch_size)
    prompts = rounds * request_batch_size
    requests = prompts // prompts_per_request
    lines.append(f"# {existing:,} of {target:,} records there: about {requests:,} requests ({prompts:,} prompts, "
                 f"{rounds:,} rounds) for the {left:,} to go, at {kept_per_prompt:.2g} kept per prompt ({source})")
    typical = earlier["completion_tokens_per_prompt"] if earlier is not None else max_tokens / 2
    typical = min(typical, max_tokens)
    typical_source = "the earlier runs' average" if earlier is not None else "half of --max_tokens"
    lines.append(f"# completion tokens ≈ {_n(typical)} a prompt ({typical_source}), at most {max_tokens:,} "
                 f"(--max_tokens)")
    result.update(requests=requests, prompts=prompts, rounds=rounds, kept_per_prompt=round(kept_per_prompt, 4),
                  yield_source="runs.jsonl" if source.startswith("the yield") else "assumed")
    if price_in or price_out:
        prompt_cost = prompts * per_prompt * price_in
        low = (prompt_cost + prompts * typical * price_out) / 1e6
        high = (prompt_cost + prompts * max_tokens * price_out) / 1e6
        lines.append(f"# cost ${low:.4f} to at most ${high:.4f}" + (" at the batch price" if batch else "")
                     + f" ({prompts:,} prompts × {_n(per_prompt)} prompt tokens, and {_n(typical)} to {max_tokens:,} "
                       "completion tokens each)")
        result.update(cost_low_usd=round(low, 6), cost_high_usd=round(high, 6))
    if earlier is not None and earlier["requests_per_second"]:
        from .progress import duration_text

        seconds = requests / earlier["requests_per_second"]
        lines.append(f"# time ≈ {duration_text(seconds)} at the earlier runs' {earlier['requests_per_second']:.2f} "
                     "requests/s")
        result["seconds"] = round(seconds, 1)
    return lines, result
