"""`rsemigrate import` and `rsemigrate reconcile`: write a plan into its target, then prove it.

Only click is imported at module load. Exit codes: import 0 when everything is imported and
finished, 1 when something is left (failed, not sent, a conversation not finished), 2 for bad
input or a refused resume, 130 when stopped by Ctrl-C (resume with --resume). reconcile 0 when
clean, 1 on any gap or duplicate, 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..migrate import ImportReport, Target

ARCHIVE = click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
PLAN = click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
                    help="The plan file (checked clean by `plan check`).")
LEDGER = click.option(
    "--ledger",
    "ledger_url",
    metavar="URL",
    help="The ledger database (SQLAlchemy URL; default: sqlite beside the plan, PLAN.ledger.sqlite).",
)


def _target(plan_path: Path) -> Target:
    from ..errors import InputError
    from ..migrate import get_target, plan_target

    target = get_target(plan_target(plan_path))
    if target.run_import is None or target.reconcile is None:
        raise InputError(f"the {target.name} target cannot import yet")
    return target


@click.command(name="import")
@ARCHIVE
@PLAN
@LEDGER
@click.option("--resume", is_flag=True, help="Continue the migration recorded in the ledger after any "
                                             "interruption.")
@click.option("--rehearse", is_flag=True,
              help="Run the whole import against the built-in emulator; write transcripts beside the plan.")
@click.option("--per-channel", "per_channel", type=click.FloatRange(min=0.01),
              help="Requests per second per conversation (default: the plan's [rates] per_channel).")
@click.option("--tenant", "tenant", type=click.FloatRange(min=0.01),
              help="Requests per second for the whole tenant (default: the plan's [rates] tenant).")
@click.option("--parallel", type=click.IntRange(min=1), help="Conversations worked on at once.")
@click.option("--accept-gaps", is_flag=True,
              help="Finish conversations even though some posts failed (recorded as skipped). Irreversible.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (no progress bars).")
def import_(archive: Path, plan_path: Path, ledger_url: str | None, resume: bool, rehearse: bool,
            per_channel: float | None, tenant: float | None, parallel: int | None, accept_gaps: bool,
            as_json: bool) -> None:
    """Import ARCHIVE into the plan's target, exactly once, resumably.

    Every write is recorded in the ledger before it is sent, so an interrupted import (Ctrl-C, a
    crash, a lost connection) continues with --resume and never posts anything twice.
    """
    from dataclasses import asdict

    import orjson

    from ..errors import InputError
    from ..migrate import ImportRequest
    from .importview import import_view

    if rehearse and (resume or ledger_url):
        raise InputError("--rehearse always starts over against a fresh emulator, with its own ledger: "
                         "drop --resume and --ledger")
    target = _target(plan_path)
    assert target.run_import is not None
    with import_view(enabled=not as_json) as view:
        report = target.run_import(
            ImportRequest(
                archive,
                plan_path,
                resume,
                rehearse,
                ledger_url,
                per_channel,
                tenant,
                parallel,
                accept_gaps,
                view,
            )
        )
    if as_json:
        click.echo(orjson.dumps(asdict(report) | {"complete": report.complete},
                                option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(_summary(report, archive, plan_path))
    raise SystemExit(report.exit_code)


def _summary(report: ImportReport, archive: Path, plan: Path) -> str:
    out = [(f"Import ({report.mode}) into {report.target}: {report.sent_this_run} posts sent in "
            f"{report.seconds:.1f} s, {report.requests} requests, {report.throttled} throttled (429), "
            f"{report.retried} retried"),
           f"Ledger: {report.ledger}"]
    for c in report.containers:
        state = "done" if c.finished and not (c.failed or c.pending) else "NOT FINISHED"
        out.append(
            f"  {state:<12} {c.label}: {c.sent}/{c.posts} posts, {c.failed} failed, {c.pending} pending, "
            f"{c.skipped} skipped; files {c.files_sent}/{c.files}" + (f" — {c.error}" if c.error else "")
        )
    out.extend(f"  ! {e}" for e in report.errors)
    out.extend(report.notes)
    resume = f"rsemigrate import {archive} --plan {plan} --resume"
    if report.interrupted:
        out.append(f"Interrupted cleanly. Continue with: {resume}")
    elif report.complete:
        out.append(f"Complete. Prove it with: rsemigrate reconcile {archive} --plan {plan}"
                   + (" --rehearse" if report.mode == "rehearsal" else ""))
    elif report.mode != "rehearsal":
        out.append(
            f"Not complete: fix the causes above, then: {resume}  (or add --accept-gaps to finish anyway)"
        )
    return "\n".join(out)


@click.command()
@ARCHIVE
@PLAN
@LEDGER
@click.option("--rehearse", is_flag=True, help="Reconcile the last `import --rehearse` instead of the real "
                                               "import.")
@click.option("--offline", is_flag=True, help="Do not read the target back: compare the archive and the "
                                              "ledger only.")
@click.option("--json", "as_json", is_flag=True, help="Print the reconciliation as JSON.")
def reconcile(archive: Path, plan_path: Path, ledger_url: str | None, rehearse: bool, offline: bool,
              as_json: bool) -> None:
    """Compare the archive, the ledger and the target: per conversation, what is expected, imported,
    skipped (and why), failed, pending and duplicated. Exit code 1 on any gap or duplicate."""
    import orjson

    from ..migrate import ReconcileRequest, render_reconciliation

    target = _target(plan_path)
    assert target.reconcile is not None
    rec = target.reconcile(ReconcileRequest(archive, plan_path, ledger_url, rehearse, offline))
    if as_json:
        click.echo(orjson.dumps(rec.to_json() | {"clean": rec.clean}, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render_reconciliation(rec))
    raise SystemExit(rec.exit_code)
