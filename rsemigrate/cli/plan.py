"""`rsemigrate plan …` and the commands targets contribute (`rsemigrate NAME …`).

Only click is imported at module load: targets, archives and HTTP clients load inside the
command functions, so `rsemigrate --help` stays fast. Exit codes follow cli.py: `plan check`
exits 1 when something would be lost or refused, 0 when the plan is clean, 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.group()
def plan() -> None:
    """Plan a migration into a target, and check it without writing anything."""


@plan.command()
@click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
@click.option("--to", "to", required=True, help="The target platform (see `rsemigrate plan targets`).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The plan file to write (TOML).")
@click.option("--users", "users_csv", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A users mapping CSV (columns source,target) to reference from the plan.")
@click.option("--placeholder", help="The target account that posts for unmapped people.")
@click.option("--triage", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A triage report in JSON (`rsemigrate report --format json`): its dead-born, test and "
                   "dormant communities are left in the archive only.")
@click.option("--force", is_flag=True, help="Overwrite an existing plan file.")
def init(archive: Path, to: str, output: Path, users_csv: Path | None, placeholder: str | None,
         triage: Path | None, force: bool) -> None:
    """Write a commented starting plan for ARCHIVE that you then edit."""
    from ..errors import InputError
    from ..migrate import InitRequest, get_target

    if output.exists() and not force:
        raise InputError(f"{output} exists; pass --force to overwrite it")
    text = get_target(to).init_plan(InitRequest(archive, output, users_csv, placeholder, triage))
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}. Edit it, then run: rsemigrate plan check {archive} --plan {output}")


@plan.command()
@click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The plan file (from `plan init`).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--online", is_flag=True,
              help="Also run the read-only preflight against the target (token, accounts, names).")
@click.option("--to", "to", help="The target the plan must be for (default: the plan's [plan] target).")
def check(archive: Path, plan_path: Path, as_json: bool, online: bool, to: str | None) -> None:
    """Dry run: report what the import would do. Writes nothing anywhere.

    Exit code 0 when the plan is clean, 1 when something would be lost or refused.
    """
    import orjson

    from ..migrate import CheckRequest, get_target, plan_target, render_dry_run

    name = plan_target(plan_path)
    if to and to != name:
        from ..errors import InputError

        raise InputError(f"{plan_path} is a plan for {name!r}, not {to!r}: write one with "
                         f"`rsemigrate plan init {archive} --to {to} -o PLAN`")
    target = get_target(name)
    report = target.check(CheckRequest(archive, plan_path, online))
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render_dry_run(report))
    raise SystemExit(0 if report.clean else 1)


@plan.command(name="targets")
def list_targets() -> None:
    """List the installed targets."""
    from ..migrate import targets

    for name, target in targets().items():
        click.echo(f"{name:<12} {target.description}")


class _TargetGroup(click.Group):
    """`rsemigrate NAME …`: the extra commands of one target, loaded only when used."""

    def __init__(self, target_name: str) -> None:
        super().__init__(name=target_name, help=f"Tools of the {target_name} target.")
        self._loaded: dict[str, click.Command] | None = None

    def _commands(self) -> dict[str, click.Command]:
        if self._loaded is None:
            from ..migrate import targets

            target = targets().get(self.name or "")
            made: list[Any] = target.commands() if target and target.commands else []
            self._loaded = {c.name: c for c in made}
        return self._loaded

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._commands())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get(name)


def target_groups() -> list[click.Group]:
    """One lazy group per installed target (names come from entry points, nothing is imported)."""
    from ..migrate import target_names

    return [_TargetGroup(name) for name in target_names()]
