"""A report's charts as PNG images: matplotlib on its Agg backend (no display, thread-safe figures
without pyplot), labels in Noto Sans CJK from the installed font package."""

import io
from functools import cache

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from internal.aistack.documents.pdf import cjk_font_path  # noqa: E402

SENTIMENT_COLOURS = {"positive": "#4caf50", "neutral": "#9e9e9e", "negative": "#f44336"}
SENTIMENT_TITLES = {"positive": "正面", "neutral": "中性", "negative": "负面"}


@cache
def _font() -> FontProperties:
    return FontProperties(fname=cjk_font_path())


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def volume_chart(title: str, volume: list[dict]) -> bytes:
    figure = Figure(figsize=(8, 3.6), dpi=100)
    axes = figure.add_subplot()
    days = [point["date"][5:] for point in volume]
    axes.plot(range(len(days)), [point["count"] for point in volume], marker="o", color="#1976d2")
    step = max(1, len(days) // 10)
    axes.set_xticks(range(0, len(days), step), days[::step])
    axes.set_title(title, fontproperties=_font())
    axes.set_ylabel("提及数", fontproperties=_font())
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return _png(figure)


def sentiment_chart(title: str, distribution: dict[str, int]) -> bytes:
    figure = Figure(figsize=(5, 3.6), dpi=100)
    axes = figure.add_subplot()
    names = list(SENTIMENT_COLOURS)
    bars = axes.bar(range(3), [distribution.get(name, 0) for name in names], color=[SENTIMENT_COLOURS[n] for n in names])
    axes.set_xticks(range(3), [SENTIMENT_TITLES[n] for n in names])
    for label in axes.get_xticklabels():
        label.set_fontproperties(_font())
    axes.bar_label(bars)
    axes.set_title(title, fontproperties=_font())
    figure.tight_layout()
    return _png(figure)
