"""The report as JSON, CSV or one self-contained HTML page.

The page inlines its CSS, its sort script and its charts (SVG data: URIs), loads nothing and
runs no source content: every name from the archive goes through Jinja2's autoescaping, and no
source markup is ever rendered. Its tables are plain HTML, readable with JavaScript off; the
script only adds sorting. Every figure cell carries the JSON's value in `data-value`, so a test
can hold the page to the JSON.
"""

from __future__ import annotations

import csv
import io

import orjson

from .build import TriageReport
from .columns import GROUPS, PLAN, Column, shown, sort_key, value
from .indicators import month_range
from .rules import CLASSES

IDENTITY = ["id", "name", "kind", "triage", "rule"]


def to_json(report: TriageReport) -> bytes:
    return orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2)


def table_columns(report: TriageReport) -> list[Column]:
    return [c for group in GROUPS.values() for c in group] + (PLAN if report.plan else [])


def to_csv(report: TriageReport) -> str:
    """One row per community: the JSON's figures, unformatted (shares 0…1, hours, bytes)."""
    columns = table_columns(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(IDENTITY + [c.key for c in columns])
    for row in report.to_json()["communities"]:
        cells = [row[k] for k in IDENTITY] + [value(row, c) for c in columns]
        writer.writerow(["" if v is None else ";".join(v) if isinstance(v, list) else v for v in cells])
    return out.getvalue()


def to_html(report: TriageReport) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    from . import charts  # matplotlib: loaded only for the page

    data = report.to_json()
    months = month_range(m.month for m in report.network.months)
    env = Environment(loader=PackageLoader("rsemigrate.report", "templates"),
                      autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["shown"] = shown
    env.filters["sort_key"] = sort_key
    env.globals["value"] = value
    groups = dict(GROUPS) | ({"Plan": PLAN} if report.plan else {})
    return env.get_template("report.html.j2").render(
        report=data,
        groups=groups,
        classes=CLASSES,
        colours=charts.CLASS_COLOURS,
        network_chart=charts.network_activity(report.network.months) if months else None,
        creation_chart=charts.classes_by_creation(report.creation) if report.creation else None,
        sparklines=dict(zip([c.id for c in report.communities],
                            charts.sparklines([[c.monthly.get(m, 0) for m in months]
                                               for c in report.communities]), strict=True)),
    )


def render(report: TriageReport, fmt: str) -> bytes:
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report).encode()
    return to_html(report).encode()

