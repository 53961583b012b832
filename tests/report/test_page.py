"""The HTML report in a real browser: offline, charts and tables visible, sorting, no-JS reading,
and every figure exactly the JSON's."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from rsemigrate.report.columns import GROUPS, PLAN
from rsemigrate.testing import run_cli
from tests.browser import screenshot


@pytest.fixture(scope="module")
def pages(triage_archive, tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("page")
    (folder / "rules.toml").write_text("[essential]\nmin_active_months = 4\nmin_authors = 4\n"
                                       "min_reply_rate = 0.7\nmax_median_reply_hours = 2\n", encoding="utf-8")
    (folder / "people.csv").write_text("email,role\nann@contoso.com,executive\n", encoding="utf-8")
    common = ["--as-of", "2024-06-30", "--rules", folder / "rules.toml", "--people", folder / "people.csv"]
    for name in ("triage.html", "triage.json"):
        result = run_cli("report", triage_archive, "-o", folder / name, *common)
        assert result.exit_code == 0, result.output
    return folder / "triage.html", orjson.loads((folder / "triage.json").read_bytes())


def open_offline(web, page: Path) -> None:
    web.page.route(re.compile(r"^(?!file:|data:).*"), lambda route: route.abort())
    web.page.goto(page.as_uri())


def parse_shown(text: str, fmt: str):
    """The figure the page shows, read back as a number (independently of the page's formatter)."""
    text = text.strip()
    if text == "—":
        return None
    if fmt == "share":
        return round(float(text.removesuffix(" %")) / 100, 3)
    if fmt == "hours":
        return float(text.removesuffix(" h"))
    if fmt == "int":
        return int(text.replace(",", ""))
    if fmt == "bool":
        return {"yes": True, "no": False}[text]
    if fmt == "list":
        return text.split(", ")
    return text


def test_the_page_shows_exactly_the_json_figures(web, pages):
    page, data = pages
    open_offline(web, page)
    cells = web.page.eval_on_selector_all(
        "table.figures tbody td[data-key]",
        "cells => cells.map(c => [c.closest('tr').dataset.id, c.dataset.key, c.innerText])")
    by_id = {c["id"]: c for c in data["communities"]}
    formats = {c.key: c.format for group in [*GROUPS.values(), PLAN] for c in group}
    checked = 0
    for community_id, key, text in cells:
        expected = by_id[community_id][key]
        if formats[key] == "date":
            assert text == (expected[:10] if expected else "—"), (community_id, key)
        elif formats[key] == "list" and not expected:
            assert text == "—"
        else:
            assert parse_shown(text, formats[key]) == expected, (community_id, key, text)
        checked += 1
    assert checked == len(by_id) * sum(len(g) for g in GROUPS.values())
    rules = web.page.eval_on_selector_all("#table-triage tbody tr", "rows => rows.map(r => r.dataset.id)")
    assert rules == [c["id"] for c in data["communities"]]
    for community in data["communities"]:
        row = web.page.locator(f"#table-triage tr[data-id='{community['id']}']")
        assert row.locator("td[data-key=triage]").inner_text() == community["triage"]
        assert row.locator("td[data-key=rule]").inner_text() == community["rule"]
    summary = {k: web.page.inner_text(f"[data-key='{k}']") for k in
               ("network.messages", "network.authors", "network.group_post_share", "network.private_share",
                "network.people_communities_share", "classes.dead-born")}
    net = data["network"]
    assert summary == {"network.messages": str(net["messages"]), "network.authors": str(net["authors"]),
                       "network.group_post_share": "90.0 %", "network.private_share": "10.0 %",
                       "network.people_communities_share": "33.3 %", "classes.dead-born": "2"}
    months = web.page.eval_on_selector_all(
        "#table-months tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")
    assert months == [[m["month"], str(m["messages"]), str(m["community_messages"]),
                       str(m["private_messages"]), str(m["active_authors"])] for m in net["months"]]


def test_offline_charts_and_tables_visible_and_sorting_works(web, pages):
    page, data = pages
    open_offline(web, page)
    assert web.outside("file://") == [], "the report must not request anything"
    assert web.page.evaluate("document.fonts.size") == 0  # no @font-face: system fonts only
    for chart in ("#chart-activity img", "#chart-creation img"):
        box = web.page.locator(chart).bounding_box()
        assert box and box["width"] > 400 and box["height"] > 150, chart
        assert web.page.locator(chart).evaluate("img => img.complete && img.naturalWidth > 0")
    sparks = web.page.locator("img.spark")
    assert sparks.count() == len(data["communities"])
    assert all(sparks.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(sparks.count()))
    for table in ("#table-triage", "#table-activity", "#table-conversation", "#table-content",
                  "#table-people-and-style", "#table-months", "#table-people", "#table-rules"):
        assert web.page.locator(table).is_visible(), table
    screenshot(web, "report")

    header = web.page.locator("#table-triage th", has_text="Messages")
    header.click()
    column = "rows => rows.map(r => Number(r.cells[4].innerText.replace(/,/g, '')))"
    descending = web.page.eval_on_selector_all("#table-triage tbody tr", column)
    assert descending == sorted((c["messages"] for c in data["communities"]), reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    assert web.page.eval_on_selector_all("#table-triage tbody tr", column) == sorted(descending)
    web.page.locator("#table-triage th", has_text="Community").click()
    names = web.page.eval_on_selector_all("#table-triage tbody tr",
                                          "rows => rows.map(r => r.cells[0].innerText)")
    assert names == sorted((c["name"] for c in data["communities"]), key=str.lower, reverse=True)
    assert web.outside("file://") == []


def test_without_javascript_every_table_is_there_and_readable(web_nojs, pages):
    page, data = pages
    open_offline(web_nojs, page)
    rows = web_nojs.page.locator("#table-triage tbody tr")
    assert rows.count() == len(data["communities"])
    assert rows.first.locator("td").first.inner_text() == data["communities"][0]["name"]
    assert web_nojs.page.locator("#chart-activity img").is_visible()
    assert web_nojs.outside("file://") == []
    screenshot(web_nojs, "report-nojs")


def test_the_page_prints_to_pdf(web, pages, tmp_path):
    page, _ = pages
    open_offline(web, page)
    pdf = tmp_path / "triage.pdf"
    web.page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
