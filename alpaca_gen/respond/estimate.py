"""``respond --dry_run``: the first prompts, and what the whole file would take, before anything is sent."""
from __future__ import annotations

import re

from ..client import where_requests_go

_HANGUL = re.compile("[\uac00-\ud7a3]")
SHOWN = 3


def approx_tokens(text: str) -> int:
    """About 4 characters a token, a Hangul syllable about one (the client's --tpm estimate)."""
    hangul = len(_HANGUL.findall(text))
    return max(1, (len(text) - hangul) // 4 + hangul)


def print_dry_run(responder, out) -> dict:
    r, o = responder, responder.options
    where = where_requests_go(o, r.base_url, r.api_key)
    print(f"# dry run: nothing is sent. {o.api} API at {where}, model {r.model}; max_tokens {o.max_tokens}, "
          f"temperature {o.temperature}, top_p {o.top_p}" + (f", stop {r.prompts.stop!r}" if r.prompts.stop else ""),
          file=out)
    for position in r.selected[:SHOWN]:
        prompt = r.prompt_for(position)
        print(f"\n===== {r.locations()[position]} ({r.langs[position]}) =====", file=out)
        system = getattr(prompt, "system", None)
        if system:
            print(f"[system]\n{system}\n[user]", file=out)
        print(str(prompt), file=out)
    prompt_tokens = sum(approx_tokens(r.prompt_for(p)) + approx_tokens(getattr(r.prompt_for(p), "system", "") or "")
                        for p in r.selected)
    requests = len(r.selected)
    worst = requests * o.max_tokens
    lines = [
        "",
        f"# {len(r.data.records)} records, {requests} to answer ({len(r.data.records) - requests} pass unchanged)",
        f"# prompt tokens ≈ {prompt_tokens:,} (about 4 characters a token, a Hangul syllable about one; a tokenizer "
        f"may count 20% either way)",
        f"# completion tokens at most {worst:,} ({requests} × --max_tokens {o.max_tokens}); about {worst // 2:,} "
        "if answers average half the limit",
    ]
    result = {"dry_run": True, "records": len(r.data.records), "requests": requests, "prompt_tokens": prompt_tokens,
              "max_completion_tokens": worst}
    price_in, price_out = o.price_in, o.price_out  # already the batch share with --batch
    if price_in or price_out:
        low = (prompt_tokens * price_in + worst // 2 * price_out) / 1e6
        high = (prompt_tokens * price_in + worst * price_out) / 1e6
        lines.append(f"# cost ${low:.4f} to at most ${high:.4f}" + (" at the batch price" if o.batch else ""))
        result.update(cost_low_usd=round(low, 6), cost_high_usd=round(high, 6))
    print("\n".join(lines), file=out)
    return result
