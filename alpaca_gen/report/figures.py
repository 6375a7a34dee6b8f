"""The report's figures, drawn with matplotlib's object API (no pyplot, no global state).

Korean text needs a font with Hangul: DejaVu Sans, matplotlib's default, has none
and draws empty boxes with a "Glyph ... missing" warning. Every figure is drawn
with a family list, DejaVu Sans first and NanumGothic after it, and matplotlib
(3.6 and later) falls back glyph by glyph. NanumGothic (SIL Open Font License)
comes from the koreanize-matplotlib package of the report extra, read from its
folder without importing it (importing it would change global settings), or
from Debian's fonts-nanum.
"""
from __future__ import annotations

import importlib.util
import io
import math
from pathlib import Path

_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_FONT_FAMILY: list[str] | None = None


def _hangul_font_file() -> str | None:
    spec = importlib.util.find_spec("koreanize_matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "fonts" / "NanumGothic.ttf"
        if candidate.is_file():
            return str(candidate)
    return next((path for path in _SYSTEM_FONTS if Path(path).is_file()), None)


def font_family() -> list[str]:
    """DejaVu Sans, then a font with Hangul when one is found (registered once)."""
    global _FONT_FAMILY
    if _FONT_FAMILY is None:
        from matplotlib import font_manager

        family = ["DejaVu Sans"]
        path = _hangul_font_file()
        if path:
            font_manager.fontManager.addfont(path)
            family.append(font_manager.FontProperties(fname=path).get_name())
        _FONT_FAMILY = family
    return _FONT_FAMILY


def has_hangul_font() -> bool:
    return len(font_family()) > 1


def _figure(width: float, height: float):
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    rcParams["font.family"] = font_family()
    rcParams["axes.unicode_minus"] = False  # NanumGothic has no U+2212
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


BLUE, ORANGE, GREY = "#3b6ea5", "#d9822b", "#8a8a8a"


def _short(label: str, most: int = 36) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _whole_ticks(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def bars(title: str, labels: list[str], values: list[int], *, xlabel: str = "records", colors=None) -> bytes:
    """Horizontal bars, largest first from the top; long labels cut with an ellipsis."""
    labels = [_short(label) for label in labels]
    height = 1.2 + 0.32 * max(len(labels), 1)
    fig = _figure(9, min(height, 12))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, values, color=colors or BLUE)
    ax.set_yticks(ys, labels)
    for y, v in zip(ys, values):
        ax.text(v, y, f" {v:,}", va="center", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(_short(title, 90), loc="left")
    _whole_ticks(ax.xaxis)
    ax.margins(x=0.12)
    ax.spines[["top", "right"]].set_visible(False)
    return png(fig)


def _histogram_row(title: str, panels: list, panel_width: float, draw) -> bytes:
    """A row of histograms with one y label and one title; ``draw(ax, panel)`` fills each."""
    fig = _figure(panel_width * len(panels), 3.4)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        draw(ax, panel)
        _whole_ticks(ax.yaxis)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("records")
    fig.suptitle(title, x=0.01, ha="left")
    return png(fig)


def length_histograms(title: str, panels: list[tuple[str, list[int], str]]) -> bytes:
    """One histogram per (field, lengths, unit), each with its mean marked."""
    import numpy as np

    def draw(ax, panel) -> None:
        name, values, unit = panel
        heading = f"{name} ({len(values):,})"
        if values:
            arr = np.asarray(values)
            # Up to the 99th percentile (a few huge outputs would squash the rest), in whole-number bins.
            top = max(int(np.percentile(arr, 99)) if arr.size >= 100 else int(arr.max()), 1)
            width = max(1, -(-(top + 1) // 40))
            ax.hist(arr, bins=np.arange(0, top + width + 1, width), color=BLUE)
            mean = float(arr.mean())
            ax.axvline(mean, color=ORANGE, linewidth=1.5)
            heading += f", mean {mean:.1f}"
            beyond = int((arr > top + width).sum())
            if beyond:
                unit += f" ({beyond:,} longer not shown)"
        else:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes, color=GREY)
        ax.set_title(heading, fontsize=10)
        ax.set_xlabel(unit)

    return _histogram_row(title, panels, 4.0, draw)


def score_histograms(title: str, panels: list[tuple[str, list[float]]]) -> bytes:
    """ROUGE-L histograms on 0..1 (Self-Instruct's Figure 4)."""
    import numpy as np

    def draw(ax, panel) -> None:
        name, values = panel
        ax.hist(np.asarray(values, dtype=float), bins=np.linspace(0, 1, 21), color=BLUE)
        ax.set_xlim(0, 1)
        ax.set_xlabel(name)

    return _histogram_row(title, panels, 5.0, draw)


def sunburst(title: str, top: list[tuple[str, int, list[tuple[str, int]]]]) -> bytes:
    """Inner ring the verbs, outer ring each verb's nouns, sized by pair counts (the papers' figure)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgba

    fig = _figure(8.6, 8.6)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left")
    ax.set_aspect("equal")
    ax.axis("off")
    inner = [sum(c for _, c in nouns) for _, _, nouns in top]
    if not inner or not sum(inner):
        ax.text(0.5, 0.5, "no verb-object pairs", ha="center", va="center", transform=ax.transAxes, color=GREY)
        return png(fig)
    cmap = colormaps["tab20"]
    verb_colors = [cmap(i % 20) for i in range(len(top))]
    outer_sizes, outer_labels, outer_colors = [], [], []
    for color, (_, _, nouns) in zip(verb_colors, top):
        for k, (noun, count) in enumerate(nouns):
            outer_sizes.append(count)
            outer_labels.append(noun)
            r, g, b, _ = to_rgba(color)
            fade = 0.35 + 0.15 * k
            outer_colors.append((r + (1 - r) * fade, g + (1 - g) * fade, b + (1 - b) * fade, 1.0))
    style = {"edgecolor": "white", "linewidth": 0.8}
    wedges_in, _ = ax.pie(inner, radius=0.6, colors=verb_colors, startangle=90, counterclock=False,
                          wedgeprops=dict(width=0.42, **style))
    wedges_out, _ = ax.pie(outer_sizes, radius=1.0, colors=outer_colors, startangle=90, counterclock=False,
                           wedgeprops=dict(width=0.4, **style))
    _ring_labels(ax, wedges_in, [verb for verb, _, _ in top], radius=0.39, size=10, least=2.0)
    _ring_labels(ax, wedges_out, outer_labels, radius=0.8, size=8, least=3.5)
    return png(fig)


def _ring_labels(ax, wedges, labels: list[str], *, radius: float, size: float, least: float) -> None:
    """Each label along its wedge's radius, upright, left out where the wedge (degrees) is too thin to hold it."""
    for wedge, label in zip(wedges, labels):
        span = abs(wedge.theta2 - wedge.theta1)
        if span < least:
            continue
        angle = (wedge.theta1 + wedge.theta2) / 2
        x, y = radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle))
        rotation = angle if -90 <= ((angle + 180) % 360) - 180 <= 90 else angle + 180
        fit = min(size, max(5.5, span * 0.9))
        ax.text(x, y, label, ha="center", va="center", rotation=((rotation + 180) % 360) - 180,
                rotation_mode="anchor", fontsize=fit)
