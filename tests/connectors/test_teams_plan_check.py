"""`plan check` for Teams runs clean on the archive of the bundled Teams collection, with a mapping
(the pattern and helpers of test_plan_check_sources.py): exit 0, every author mapped, every message
planned or a documented skip, and every degradation left traced to a case of fixtures/teams/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsemigrate.archive.reader import Archive

from .test_plan_check_sources import Case, Planned, plan_and_check, planned_html
from .test_teams_export import FIXTURE
from .test_teams_reader import GENERAL, LAUNCH_CREW, MEETING, ONE_ON_ONE

CASE = Case(
    "teams", FIXTURE,
    containers={"contoso-engineering/general": 13, "contoso-engineering/releases": 3,
                "contoso-engineering/leadership": 2, "contoso-sales/general": 2,
                f"chat:{ONE_ON_ONE}": 3, f"chat:{LAUNCH_CREW}": 1, f"chat:{MEETING}": 1},
    # deleted: M7 (R4's emptied body is no deletion: it is planned); system: G5, L1, L4, S0, M4, M5, M8
    skipped={"deleted": 1, "system": 7},
    # Ann, Bob, Chloé, Dev, Frank, Erin (rebuilt), Release Bot
    authors=7,
    # inline-image: R2, G8, M1; edited: R1, L3; link-card: the two files Graph would not give
    # (Salaries 403, Old roadmap 404); deleted-root-tombstone: G6 (its reply R6 stays); missing-file:
    # HC2; unsupported-attachment: the Release Bot's adaptive card. (The `<attachment>` markers of G2,
    # G3, G4, G7 and M2 are no degradation: their files are attached again by the import.)
    degradations={"inline-image": 3, "edited": 2, "link-card": 2, "deleted-root-tombstone": 1,
                  "missing-file": 1, "unsupported-attachment": 1})


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Planned:
    return plan_and_check(CASE, tmp_path_factory.mktemp("teams-plan"))


def test_the_dry_run_is_clean(planned):
    report = planned.report
    assert planned.exit_code == 0 and report["clean"] and report["problems"] == []
    assert (report["totals"]["refused"], report["totals"]["lost"]) == (0, 0)


def test_with_the_mapping_every_author_is_mapped(planned):
    assert planned.report["unmapped_users"] == []
    assert planned.report["users"] == {"explicit": CASE.authors}


def test_every_message_is_planned_or_a_documented_skip(planned):
    report = planned.report
    assert {c["key"]: c["messages"] for c in report["containers"]} == CASE.containers
    assert report["skipped"] == CASE.skipped
    assert (
        report["totals"]["messages"] + sum(report["skipped"].values())
        == Archive(planned.archive).header.counts.messages
    )


def test_the_degradations_left_are_the_fixture_s_known_cases(planned):
    assert {d["kind"]: d["count"] for d in planned.report["degradations"]} == CASE.degradations


def test_mentions_of_mapped_people_become_teams_mentions(planned):
    html = planned_html(planned.archive, planned.plan)[f"{GENERAL}:1709542800123"]
    assert (
        'for <b>Project Atlas</b>: <at id="0">Bob Durand</at> leads the backend.' in html
    )  # once, not per word


def test_the_files_the_collector_saved_are_planned_as_uploads(planned):
    assert planned.report["totals"]["files"] == 4  # two inline images, Design spec, Budget draft
    assert Path(planned.archive).exists()
