"""The report's charts, drawn by matplotlib as SVG and inlined as data: URIs.

Why matplotlib: it is the well-kept reference for static charts, it draws text as paths (no
font to fetch), and static SVG needs no script, so the charts show with JavaScript off, print
sharply to PDF and run nothing. An SVG inside an <img> cannot run script or reach the network
either, whatever it holds, and each one keeps its own ids.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: the charts only ever become files
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .build import CreationMonth  # noqa: E402
from .indicators import Month  # noqa: E402
from .rules import CLASSES  # noqa: E402

#: one colour per class, readable in grey when printed; also used by the page's badges.
CLASS_COLOURS = {"essential": "#1b7837", "active": "#5aae61", "dormant": "#b8b8b8",
                 "dead-born": "#762a83", "test": "#e08214"}
STYLE = {"svg.fonttype": "path", "svg.hashsalt": "rsemigrate-report", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False}


def data_uri(fig: Figure) -> str:
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _ticks(ax, labels: Sequence[str]) -> None:
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)],
                  rotation=45, ha="right")


def network_activity(months: Sequence[Month]) -> str:
    """Messages per month (bars, communities and private conversations) and active authors (line)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9, 3.2))
        x = range(len(months))
        ax.bar(x, [m.community_messages for m in months], color="#2166ac", label="messages in communities")
        ax.bar(x, [m.private_messages for m in months], bottom=[m.community_messages for m in months],
               color="#92c5de", label="private messages")
        ax.set_ylabel("messages")
        authors = ax.twinx()
        authors.plot(list(x), [m.active_authors for m in months], color="#d6604d", linewidth=2,
                     label="active authors")
        authors.set_ylabel("active authors")
        authors.spines["top"].set_visible(False)
        _ticks(ax, [m.month for m in months])
        handles = ax.get_legend_handles_labels()[0] + authors.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.08, 1), frameon=False, fontsize=8)
        return data_uri(fig)


def classes_by_creation(creation: Sequence[CreationMonth]) -> str:
    """Communities by month of creation, stacked by class, with those still alive as a line."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9, 3.2))
        x = list(range(len(creation)))
        bottom = [0] * len(creation)
        for name in CLASSES:
            heights = [c.classes.get(name, 0) for c in creation]
            if any(heights):
                ax.bar(x, heights, bottom=bottom, color=CLASS_COLOURS[name], label=name)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        created = [i for i, c in enumerate(creation) if c.created]
        ax.scatter(created, [creation[i].alive for i in created], color="black", marker="_", s=120,
                   linewidths=2, zorder=3, label="still alive (essential or active)")
        ax.set_ylabel("communities created")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _ticks(ax, [c.month for c in creation])
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        return data_uri(fig)


def sparklines(series: Sequence[Sequence[int]]) -> list[str]:
    """One small line per community, all on the network's month axis. One figure is redrawn for
    each, which is what makes hundreds of them affordable."""
    with plt.rc_context(STYLE | {"axes.spines.left": False, "axes.spines.bottom": False}):
        fig = plt.figure(figsize=(1.6, 0.35))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        (line,) = ax.plot([], [], color="#2166ac", linewidth=1)
        fill = None
        out = []
        for values in series:
            x = list(range(len(values)))
            line.set_data(x, values)
            if fill is not None:
                fill.remove()
            fill = ax.fill_between(x, values, color="#92c5de", linewidth=0)
            ax.set_xlim(0, max(1, len(values) - 1))
            ax.set_ylim(0, max(1, max(values, default=0)) * 1.1)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
            out.append("data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode())
        plt.close(fig)
        return out
