"""`plan check` for Teams runs clean on the archive of every source's bundled fixture, with a mapping.

Each fixture is exported, planned with `plan init --users MAPPING` (every archive user mapped:
by email when the user has one, else by source id) and dry-run with `plan check --json`. Clean
means exit 0: nothing would be lost or refused. A message that is not planned is one of the plan's
documented skips (`[options] skip_system`, `skip_deleted`), so the messages of all conversations
plus the skips equal the archive's message count. The degradations left are content kept in
another form, each traced below to a case of the fixture's README.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.teams.plan import load_plan
from connectors.teams.prepare import drafts, prepare
from rsemigrate.archive.reader import Archive
from transforms.identities import user_mapping

from .conftest import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@dataclass(frozen=True)
class Case:
    connector: str
    fixture: Path
    #: messages planned per target conversation (team/channel or chat:<source id>).
    containers: dict[str, int]
    skipped: dict[str, int]
    #: distinct authors of the planned messages; all mapped explicitly.
    authors: int
    degradations: dict[str, int] = field(default_factory=dict)


CASES = {
    "slack-workspace": Case(
        "slack",
        FIXTURES / "slack" / "workspace",
        containers={
            "workspace/general": 10,
            "workspace/random": 8,
            "workspace/proj-apollo": 1,
            "workspace/leadership": 2,
            "workspace/stray-folder": 1,
            "chat:D01AB": 2,
            "chat:G02MPIM": 1,
        },
        # joins, purpose, rename, topic, leave, archive: old-news (C04ARCH) holds only those, so no channel
        skipped={"system": 6},
        authors=10,
        # link-card: the bot's card and the five files still in Slack (external without a token);
        # missing-file: F06GONE, deleted in Slack; orphan-reply: the reply to a Nov 2023 root.
        degradations={"link-card": 6, "edited": 1, "missing-file": 1, "orphan-reply": 1},
    ),
    "slack-grid": Case(
        "slack",
        FIXTURES / "slack" / "grid",
        containers={"sales/general": 2, "engineering/general": 1, "chat:D30ADABOB": 1},
        skipped={},
        authors=3,
    ),
    "workplace": Case(
        "workplace",
        FIXTURES / "workplace",
        containers={
            "announcements/general": 5,
            "product-team/general": 5,
            "globex-initech/general": 2,
            "product-design/general": 1,
        },
        # P2, the cover-photo `story`
        skipped={"system": 1},
        authors=6,
        # link-card: the album, the shared link, the file card; missing-file: the album's expired
        # photo; nested-reply: the three replies to comments.
        degradations={"link-card": 3, "nested-reply": 3, "missing-file": 1},
    ),
    "yammer": Case(
        "yammer",
        FIXTURES / "yammer",
        containers={
            "all-company/general": 6,
            "communication-interne/general": 16,
            "securite-conformite/general": 7,
            "projet-atlas/general": 13,
            "ancien-club-photo/general": 2,
            "partenaires-externes/general": 3,
            "afterwork-lyon/general": 3,
            "chat:private-2000337749565440": 3,
            "chat:private-2000337749565437": 3,
        },
        skipped={"system": 1, "deleted": 1},
        authors=12,
        # missing-file: the two files already missing at export (one still had its Yammer URL)
        degradations={
            "nested-reply": 10,
            "kind-as-text": 4,
            "link-card": 2,
            "orphan-reply": 2,
            "deleted-root-tombstone": 1,
            "missing-file": 2,
            "unsupported-attachment": 1,
        },
    ),
}


@dataclass(frozen=True)
class Planned:
    case: Case
    archive: Path
    plan: Path
    exit_code: int
    report: dict[str, Any]


def write_mapping(archive: Path, target: Path) -> Path:
    """A users CSV mapping every archive user (by email when known, else by id) to its own UPN."""
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "target"])
        for user in Archive(archive).users():
            writer.writerow(
                [user.email or user.id, f"{re.sub(r'[^a-z0-9]+', '-', user.id.lower())}@contoso.example"]
            )
    return target


def plan_and_check(case: Case, folder: Path) -> Planned:
    """Export the case's fixture, `plan init` it with a full mapping, `plan check --json` it."""
    archive, plan = folder / "archive", folder / "plan.toml"
    exported = cli("export", case.connector, case.fixture, "-o", archive)
    assert exported.exit_code == 0, exported.output
    mapping = write_mapping(archive, folder / "users.csv")
    written = cli("plan", "init", archive, "--to", "teams", "-o", plan, "--users", mapping)
    assert written.exit_code == 0, written.output
    checked = cli("plan", "check", archive, "--plan", plan, "--json")
    return Planned(case, archive, plan, checked.exit_code, json.loads(checked.output))


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Planned]:
    """plans(case name) -> its Planned, made once per module."""
    made: dict[str, Planned] = {}

    def get(name: str) -> Planned:
        if name not in made:
            made[name] = plan_and_check(CASES[name], tmp_path_factory.mktemp(name))
        return made[name]

    return get


@pytest.fixture(params=list(CASES))
def planned(request: pytest.FixtureRequest, plans: Callable[[str], Planned]) -> Planned:
    return plans(request.param)


def test_the_dry_run_is_clean(planned):
    report = planned.report
    assert planned.exit_code == 0 and report["clean"], report["problems"]
    assert report["problems"] == []
    assert (report["totals"]["refused"], report["totals"]["lost"]) == (0, 0)


def test_with_the_mapping_no_author_is_left_unmapped(planned):
    assert planned.report["unmapped_users"] == []
    assert planned.report["users"] == {"explicit": planned.case.authors}


def test_every_message_is_planned_or_a_documented_skip(planned):
    report = planned.report
    assert {c["key"]: c["messages"] for c in report["containers"]} == planned.case.containers
    assert report["skipped"] == planned.case.skipped
    in_archive = Archive(planned.archive).header.counts.messages
    assert report["totals"]["messages"] + sum(report["skipped"].values()) == in_archive
    assert report["totals"]["posts"] == report["totals"]["messages"]  # nothing needed splitting


def test_the_degradations_left_are_the_fixture_s_known_cases(planned):
    assert {d["kind"]: d["count"] for d in planned.report["degradations"]} == planned.case.degradations


def planned_html(archive: Path, plan: Path) -> dict[str, str]:
    """{message id: the HTML the import would post} for every planned first part."""
    opened = Archive(archive)
    teams_plan = load_plan(plan, opened)
    prep = prepare(opened, teams_plan, user_mapping(teams_plan.common))
    return {d.message.id: d.html for c in teams_plan.containers for d in drafts(prep, c) if d.part == 1}


def test_slack_links_keep_their_url_and_dates_their_fallback(plans):
    html = planned_html(plans("slack-workspace").archive, plans("slack-workspace").plan)
    assert html["C01GENERAL:1709290800.000300"] == (
        '<p>Thanks <at id="0">Ben Okafor</at>! &lt;3 &amp; see '
        '<a href="https://northwind.example/agenda">the agenda</a></p>')
    assert html["C01GENERAL:1709301600.000250"] == (
        "<p>@channel all-hands at 3pm, hosted by @engineering, on Mar 1, 2024; questions to "
        '<a href="mailto:ops@northwind.example">ops@northwind.example</a></p>')


def test_workplace_expired_media_is_a_visible_note_not_a_dead_link(plans):
    post = planned_html(plans("workplace").archive, plans("workplace").plan)[
        "10000000000000101_20000000000000001"
    ]
    assert "📎 Crowd (file not available in the archive)" in post
    assert "fbcdn.net/v/t39.30808-6/40000000000000002" not in post


@pytest.mark.slow
def test_the_rehearsed_import_carries_every_planned_message_exactly_once(planned):
    """The whole path from every source: the import into the emulator reconciles clean."""
    imported = cli("import", planned.archive, "--plan", planned.plan, "--rehearse")
    assert imported.exit_code == 0, imported.output
    reconciled = cli("reconcile", planned.archive, "--plan", planned.plan, "--rehearse", "--json")
    assert reconciled.exit_code == 0, reconciled.output
    result = json.loads(reconciled.output)
    assert result["totals"]["imported"] == planned.report["totals"]["posts"]
    assert (result["totals"]["failed"], result["totals"]["duplicated"], result["totals"]["pending"]) == (
        0,
        0,
        0,
    )
