"""report.html: one self-contained page (figures as data: URLs, inline style, no script).

The page's Content-Security-Policy allows nothing but its own inline style and
data: images, so a browser opening it from disk makes no request at all.
"""
from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from .draw import lang_name
from .measures import plural

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","NanumGothic","Apple SD Gothic Neo",
"Malgun Gothic",sans-serif;margin:0;color:#1f2328;background:#fff;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.5rem;margin:.6em 0 .2em}h2{font-size:1.2rem;margin:1.8em 0 .4em;border-bottom:1px solid #d0d7de}
h3{font-size:1.02rem;margin:1.2em 0 .3em}
nav a{margin-right:1em;color:#0969da;text-decoration:none}
table{border-collapse:collapse;margin:.4em 0 .8em;font-size:.92rem}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.4em 0}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:4px}
.muted{color:#656d76}code{font-size:.9em}
"""


def _n(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if value != int(value) or abs(value) < 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _table(head: list[str] | None, rows: list[list], numeric: set[int] = frozenset()) -> str:
    cells = "".join(f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
                    for i, h in enumerate(head or []))
    body = []
    for row in rows:
        body.append("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                     for i, c in enumerate(row)) + "</tr>")
    header = f"<tr>{cells}</tr>" if head else ""
    return f"<table>{header}{''.join(body)}</table>"


def _img(figures: dict[str, bytes], name: str, alt: str) -> str:
    if name not in figures:
        return ""
    data = base64.b64encode(figures[name]).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _overview(o: dict) -> str:
    rows = [
        ["records", _n(o["records"])],
        ["languages", escape(", ".join(f"{lang_name(k)} {v:,}" for k, v in o["languages"].items()))],
        ["with an input", f"{_n(o['with_input'])} ({_pct(o['share_with_input'])})"],
        ["classification-like", f"{_n(o['classification_like'])} ({_pct(o['share_classification_like'])})"],
        ["models", escape(", ".join(f"{k} {v:,}" for k, v in o["models"].items()))],
        ["APIs", escape(", ".join(f"{k} {v:,}" for k, v in o["apis"].items()))],
        ["generate runs", _n(o["runs"])],
        ["tokens (prompt / completion)", f"{_n(o['prompt_tokens'])} / {_n(o['completion_tokens'])}"],
        ["cost", f"${o['cost_usd']:.4f}" if o.get("cost_usd") is not None else "– (no prices given)"],
    ]
    return _table(None, rows)


def _funnel(f: dict, figures: dict, records: int) -> str:
    if not f["stages"]:
        return '<p class="muted">No runs.jsonl beside the input: the funnel is written by <code>generate</code>.</p>'
    rows = [[escape(s["stage"]), _n(s["in"]), _n(s["out"]),
             escape(", ".join(f"{k} {v:,}" for k, v in s["dropped"].items())) or "–"] for s in f["stages"]]
    note = ""
    if f["kept"] != records:
        note = (f" The runs kept {f['kept']:,} records and the file holds {records:,}: records were added or "
                "removed outside these runs, or some runs are missing from runs.jsonl.")
    return (f"<p>Summed over {plural(f['runs'], 'generate run')}.{escape(note)}</p>"
            + _table(["stage", "in", "out", "dropped"], rows, {1, 2})
            + _img(figures, "funnel.png", "kept and dropped candidates by reason"))


def _lengths(lengths: dict, figures: dict) -> str:
    parts = []
    for code, fields in lengths.items():
        parts.append(f"<h3>{escape(lang_name(code))}</h3>")
        rows = []
        for name, units in fields.items():
            for unit, d in units.items():
                rows.append([escape(name), escape(unit), _n(d["count"]), _n(d["mean"]), _n(d["median"]),
                             _n(d["p90"]), _n(d["max"])])
        parts.append(_table(["field", "unit", "records", "mean", "median", "90th pct", "max"], rows, {2, 3, 4, 5, 6}))
        for unit in fields["instruction"].keys():
            parts.append(_img(figures, f"lengths_{code}_{unit}.png", f"{lang_name(code)} lengths in {unit}"))
    return "".join(parts)


def _diversity(diversity: dict, figures: dict) -> str:
    if not diversity:
        return '<p class="muted">No English or Korean records.</p>'
    parts = []
    for code, d in diversity.items():
        parts.append(f"<h3>{escape(lang_name(code))}</h3>")
        if not d.get("parser"):
            parts.append(f'<p class="note">No verb-object figure: {escape(d["how_to_enable"])}</p>')
            continue
        if not d["top_verbs"]:
            parts.append(f"<p>None of the {plural(d['records'], 'instruction')} has a verb with a direct object.</p>")
            continue
        parts.append(
            f"<p>{_pct(d['share_with_pair'])} of the instructions ({d['with_pair']:,} of {d['records']:,}) have a "
            f"verb with a direct object; {d['distinct_verbs']:,} distinct verbs, {d['distinct_pairs']:,} distinct pairs. "
            f"The figure shows the top {len(d['top_verbs'])} verbs with their top nouns: "
            f"{d['shown_in_figure']:,} records ({_pct(d['share_shown'])}). "
            f'<span class="muted">Parser: {escape(d["parser"])}.</span></p>')
        parts.append(_img(figures, f"verbs_{code}.png", f"{lang_name(code)} verb-object sunburst"))
        rows = [[escape(v["verb"]), _n(v["pairs"]), escape(", ".join(f"{n['noun']} {n['count']:,}" for n in v["nouns"]))]
                for v in d["top_verbs"]]
        parts.append(_table(["verb", "pairs", "top objects"], rows, {1}))
    return "".join(parts)


def _novelty(novelty: dict, figures: dict) -> str:
    parts = []
    for code, d in novelty.items():
        parts.append(f"<h3>{escape(lang_name(code))}</h3>")
        best = d.get("max_rouge_vs_seeds")
        if best:
            parts.append(f"<p>Highest ROUGE-L F1 against the {d['seed_tasks']} seed instructions: mean {_n(best['mean'])}, "
                         f"median {_n(best['median'])}; {best['above_0_7']:,} records above 0.7.</p>")
        else:
            parts.append(f'<p class="note">{escape(d.get("why_missing", "no seed tasks"))}</p>')
        avg = d.get("avg_similarity_score")
        if avg:
            parts.append(f"<p>avg_similarity_score (stored by generate): mean {_n(avg['mean'])} over {avg['count']:,} records.</p>")
        parts.append(_img(figures, f"novelty_{code}.png", f"{lang_name(code)} novelty histograms"))
    return "".join(parts) or '<p class="muted">No English or Korean records.</p>'


def _seeds(seeds: dict, figures: dict) -> str:
    parts = []
    for code, d in seeds.items():
        parts.append(f"<h3>{escape(lang_name(code))}</h3>")
        if not d["records_with_provenance"]:
            parts.append('<p class="muted">No record names the seed tasks of its prompt (provenance.seed_task_ids).</p>')
            continue
        parts.append(f"<p>{plural(d['records_with_provenance'], 'record')} name the seeds of their prompt; "
                     f"{d['seeds_in_kept_records']} of the {d['seeds']} seeds were in the prompt of some kept record, "
                     f"{d['seeds_in_no_kept_record']} in none.</p>")
        most = [[escape(m["id"]), _n(m["records"])] for m in d["most_productive"]]
        least = [[escape(m["id"]), _n(m["records"])] for m in d["least_productive"]]
        parts.append('<div style="display:flex;gap:32px;flex-wrap:wrap">'
                     + _table(["most productive", "records"], most, {1})
                     + _table(["least productive (of those in some record)", "records"], least, {1}) + "</div>")
        parts.append(_img(figures, f"seeds_{code}.png", f"{lang_name(code)} records per seed"))
    return "".join(parts) or '<p class="muted">No English or Korean records.</p>'


def _quality(q: dict, figures: dict) -> str:
    langs = ", ".join(f"{lang_name(k)} {v:,}" for k, v in q["languages"].items())
    head = (f"<p>{plural(q['records'], 'record')}" + (f" ({escape(langs)})" if langs else "")
            + f": {q['flagged']:,} flagged, {q['dropped']:,} that <code>check</code> would drop and "
            f"{q['fixed']:,} it would fix.</p>")
    if not q["rules"]:
        return head + "<p>No rule flagged any record.</p>"
    rows = []
    for reason, r in q["rules"].items():
        examples = "<br>".join(
            f'<span class="muted">{escape(e["location"])} ({escape(e["field"])})</span> {escape(e["excerpt"] or e["instruction"])}'
            for e in r["examples"])
        rows.append([f"<code>{escape(reason)}</code>", escape(r["action"]), _n(r["records"]), examples])
    return head + _img(figures, "quality.png", "records flagged per rule") + _table(
        ["rule", "action", "records", "examples"], rows, {2})


_SECTIONS = (("overview", "Overview"), ("funnel", "Funnel"), ("lengths", "Lengths"), ("diversity", "Diversity"),
             ("novelty", "Novelty"), ("seeds", "Seed tasks"), ("quality", "Quality"))


def render_page(numbers: dict, figures: dict[str, bytes]) -> str:
    bodies = {
        "overview": _overview(numbers["overview"]),
        "funnel": _funnel(numbers["funnel"], figures, numbers["overview"]["records"]),
        "lengths": _lengths(numbers["lengths"], figures),
        "diversity": _diversity(numbers["diversity"], figures),
        "novelty": _novelty(numbers["novelty"], figures),
        "seeds": _seeds(numbers["seeds"], figures),
        "quality": _quality(numbers["quality"], figures),
    }
    nav = "".join(f'<a href="#{key}">{title}</a>' for key, title in _SECTIONS)
    sections = "".join(f'<section id="{key}"><h2>{title}</h2>{bodies[key]}</section>' for key, title in _SECTIONS)
    title = f"alpaca-gen report: {Path(numbers['input']).name}"
    languages = numbers["overview"]["languages"]
    page_lang = "ko" if languages and max(languages, key=languages.get) == "ko" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{page_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p class=\"muted\">{escape(numbers['input'])} · {escape(numbers['generated_by'])}</p>"
        f"<nav>{nav}</nav>"
        f"{sections}</main></body></html>\n"
    )
