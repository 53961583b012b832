"""The `rsemigrate` command line: one short function per verb.

Exit codes: 0 success; 1 when validate or verify finds problems; 2 for bad input or usage.
Library code raises `RsemigrateError`; only this module prints or chooses an exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from .errors import RsemigrateError

ARCHIVE = click.argument("archive", type=click.Path(path_type=Path, file_okay=False))


class _Group(click.Group):
    """Turns our errors into one clear line and the right exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RsemigrateError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None


@click.group(cls=_Group)
@click.version_option(package_name="rsemigrate")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Move enterprise social network content between platforms, or into a sealed archive."""
    ctx.obj = {"debug": debug}


def _json(value: object) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


class _ExportGroup(click.Group):
    """`export NAME`: one subcommand per installed source connector, found by entry point."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from .registry import connectors

        return [name for name, c in connectors().items() if c.read is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from .registry import connectors

        connector = connectors().get(name)
        if connector is None or connector.read is None:
            return None
        return _export_command(name, connector.description)


@main.group(cls=_ExportGroup)
def export() -> None:
    """Read a platform's export into a new neutral archive."""


def _export_command(name: str, description: str) -> click.Command:
    @click.command(name=name, help=f"{description}\n\nSRC is the export as a .zip or an unpacked folder.")
    @click.argument("src", type=click.Path(path_type=Path))
    @click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
                  help="The archive folder to create (must not exist yet).")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    def command(src: Path, output: Path, as_json: bool) -> None:
        from .exporter import run_export
        from .progress import export_progress
        from .registry import source_connector

        with export_progress(enabled=not as_json) as progress:
            info = run_export(source_connector(name), src, output, progress=progress)
        if as_json:
            _json({"archive": str(info.path), "seal": info.seal, "counts": info.counts})
        else:
            c = info.counts
            click.echo(f"Wrote {info.path}: {c.messages} messages in {c.channels} channels, "
                       f"{c.users} users, {c.attachments} attachments ({c.missing_files} missing files).")
            if c.report:
                click.echo("Report (data/report.jsonl): " + ", ".join(f"{n} {a}" for a, n in c.report.items()))
            click.echo(f"Seal (sha256 of the tag manifest): {info.seal}")

    return command


@main.command()
@ARCHIVE
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON array.")
def validate(archive: Path, as_json: bool) -> None:
    """Check every record against the schema and every reference for a target."""
    from .archive import Archive
    from .validate import validate as run

    problems = list(run(Archive(archive)))
    if as_json:
        _json([{"where": p.where, "problem": p.message} for p in problems])
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{archive}: {'valid' if not problems else f'{len(problems)} problem(s)'}")
    raise SystemExit(1 if problems else 0)


@main.command()
@ARCHIVE
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON array.")
def verify(archive: Path, as_json: bool) -> None:
    """Check completeness and checksums: name every changed, missing or extra file."""
    from .bag import seal_of
    from .bag import verify as run

    findings = run(archive)
    if as_json:
        _json([{"kind": f.kind, "path": f.path, "detail": f.detail} for f in findings])
    else:
        for f in findings:
            click.echo(f"{f.kind}: {f.path}: {f.detail}")
        verdict = "intact" if not findings else f"{len(findings)} problem(s)"
        click.echo(f"{archive}: {verdict} (seal {seal_of(archive)})")
    raise SystemExit(1 if findings else 0)


@main.command()
@ARCHIVE
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of integer counts.")
def stats(archive: Path, as_json: bool) -> None:
    """Counts of what the archive holds (from its sealed header; `validate` cross-checks them)."""
    from dataclasses import asdict

    from .archive import Archive

    header = Archive(archive).header
    counts = asdict(header.counts)
    report = counts.pop("report")
    if as_json:
        _json(counts)
        return
    click.echo(f"{archive} — {header.source.platform} export {header.source.input_name}")
    click.echo(f"window: {header.window.first} … {header.window.last}")
    for key, value in counts.items():
        click.echo(f"  {key:<18} {value:>10}")
    for action, n in report.items():
        click.echo(f"  report: {action:<10} {n:>10}")


@main.command(name="connectors")
def list_connectors() -> None:
    """List the installed connectors."""
    from .registry import connectors

    for name, connector in connectors().items():
        sides = "source" if connector.read else ""
        click.echo(f"{name:<12} {sides:<8} {connector.description}")
