"""The `rsemigrate` group, and the commands that make and check an archive: one short function per verb.

Exit codes: 0 success; 1 when validate or verify finds problems; 2 for bad input or usage.
Library code raises `RsemigrateError`; only this module prints or chooses an exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from click.core import ParameterSource

from ..errors import RsemigrateError

if TYPE_CHECKING:
    from ..export import Connector, Option

ARCHIVE = click.argument("archive", type=click.Path(path_type=Path, file_okay=False))


class _Group(click.Group):
    """Turns our errors into one clear line and the right exit code, never a traceback.

    `discovered` makes the commands that need a plugin look-up (entry points, whose machinery
    alone costs a command's start-up a quarter): called for `--help` or an unknown name, never
    for a built-in command such as `search`."""

    discovered: Callable[[], list[click.Command]] | None = None

    def _discover(self) -> None:
        if self.discovered is not None:
            for command in self.discovered():
                self.add_command(command)
            self.discovered = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._discover()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._discover()
        return super().get_command(ctx, cmd_name)

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
        from ..registry import connectors

        return [name for name, c in connectors().items() if c.read is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from ..registry import connector as named

        connector = named(name)
        if connector is None or connector.read is None:
            return None
        return _export_command(connector)


@main.group(cls=_ExportGroup)
def export() -> None:
    """Read a platform's export into a new neutral archive."""


def _export_command(connector: Connector) -> click.Command:
    name = connector.name
    collects = connector.export_collects and connector.collect is not None
    usage = ("SRC is a collection saved by `rsemigrate collect " + name + "` (.zip or folder). Without SRC, "
             "the collect options are used to collect first, into ARCHIVE." + name + "-collection beside the "
             "archive (kept; an interrupted run resumes there), which is then exported."
             ) if collects else "SRC is the export as a .zip or an unpacked folder."
    declared = connector.options + (connector.collect_options if collects else ())

    @click.command(name=name, help=f"{connector.description}\n\n{usage}")
    @click.argument("src", type=click.Path(path_type=Path), required=not collects)
    @click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
                  help="The archive folder to create (must not exist yet).")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.option("--clean-partials", is_flag=True,
                  help="First remove the staging folders (.NAME.partial-*) that interrupted exports left "
                       "beside the output; without it they are only listed.")
    @click.option("--max-unpacked", type=click.FloatRange(min=0, min_open=True), default=200,
                  show_default=True,
                  help="GiB a zip export may unpack to in total (zip bomb cap).")
    @click.option("--max-ratio", type=click.FloatRange(min=1), default=100, show_default=True,
                  help="How many times its compressed size a zip export may unpack to, over all its "
                       "entries (zip bomb cap; not checked below 64 MiB unpacked).")
    @click.option("--strict", is_flag=True, help="Stop at the first record the connector cannot read "
                  "(exit 2), instead of quarantining it in the report and going on.")
    @_declared_options(declared)
    def command(src: Path | None, output: Path, as_json: bool, clean_partials: bool, max_unpacked: float,
                max_ratio: float, strict: bool, **values: Any) -> None:
        from ..export import SourceLimits, collection_beside, run_export
        from .progress import export_progress

        options = _option_values(connector.options, values)
        collected = None
        if collects:
            collect_values = _option_values(connector.collect_options, values)
            if src is not None and _given(connector.collect_options, values):
                raise click.UsageError(
                    "SRC is a saved collection: the collect options are for an export without SRC"
                )
            if src is None:
                assert connector.collect is not None
                if output.exists():  # say so now, not after a collection that may take hours
                    raise click.UsageError(f"{output} already exists; choose a new output path")
                src = collection_beside(output, name)
                collected = dict(connector.collect(src, **collect_values))
                if not as_json:
                    click.echo(
                        f"Collected into {src}: " + ", ".join(f"{n} {w}" for w, n in collected.items()) + "."
                    )
        assert src is not None
        with export_progress(enabled=not as_json) as progress:
            limits = SourceLimits(max_total_bytes=int(max_unpacked * 1024**3), max_ratio=max_ratio)
            info = run_export(connector, src, output, progress=progress, options=options,
                              limits=limits, clean_partials=clean_partials, strict=strict)
        leftovers = [str(folder) for folder in info.leftovers]
        if as_json:
            _json({"archive": str(info.path), "seal": info.seal, "counts": info.counts,
                   **({"collection": str(src), "collected": collected} if collected is not None else {}),
                   **({"leftovers": leftovers, "leftovers_removed": clean_partials} if leftovers else {})})
        else:
            if leftovers and clean_partials:
                click.echo("Removed what interrupted exports left: " + ", ".join(leftovers))
            elif leftovers:
                click.echo("Left by interrupted exports (not archives; remove them with --clean-partials): "
                           + ", ".join(leftovers))
            c = info.counts
            quarantined = c.report.get("quarantined", 0)
            click.echo(f"Wrote {info.path}: {c.messages} messages in {c.channels} channels, "
                       f"{c.users} users, {c.attachments} attachments ({c.missing_files} missing files)"
                       + (f"; {quarantined} unreadable record(s) quarantined." if quarantined else "."))
            if c.report:
                click.echo(
                    "Report (data/report.jsonl): " + ", ".join(f"{n} {a}" for a, n in c.report.items())
                )
            for line in _report_lines(info.path, c.report, quarantined=True):
                click.echo(line)
            click.echo(f"Seal (sha256 of the tag manifest): {info.seal}")

    return command


#: quarantined records named in the export's summary; the report has them all.
_QUARANTINE_SHOWN = 5


def _report_lines(archive: Path, counts: dict[str, int], *, quarantined: bool, limit: int = 20) -> list[str]:
    """What the report says that must not pass unseen, read in one pass before anything is
    printed: the first quarantined records (unreadable content kept raw, behind exit code 0; a
    quote left open can make one entry of hundreds of rows), and the field census (source fields
    the connector did not map). The header's report `counts` say whether there is any to read."""
    from ..archive import Archive

    if not counts.get("unmapped") and not (quarantined and counts.get("quarantined")):
        return []
    shown, unmapped, total = [], [], 0
    for entry in Archive(archive).report():
        if entry.action == "quarantined" and quarantined:
            total += 1
            if len(shown) < _QUARANTINE_SHOWN:
                where = entry.location or f"{entry.record_type} {entry.record_id or '(no id)'}"
                shown.append(f"  {where}: {entry.reason}")
        elif entry.action == "unmapped":
            unmapped.append(f"  {entry.reason}")
    lines = []
    if total:
        lines += [f"Quarantined, unreadable ({total}; each kept raw in the report):", *shown]
        if total > _QUARANTINE_SHOWN:
            lines.append(f"  … and {total - _QUARANTINE_SHOWN} more")
    if unmapped:
        lines += [f"Unmapped source fields ({len(unmapped)}; data/report.jsonl, action unmapped):",
                  *unmapped[:limit]]
        if len(unmapped) > limit:
            lines.append(f"  … and {len(unmapped) - limit} more")
    return lines


def _given(options: tuple[Option, ...], values: dict[str, Any]) -> bool:
    """Whether any of `options` was typed on the command line (not from the environment)."""
    ctx = click.get_current_context()
    return any(ctx.get_parameter_source(o.name) is ParameterSource.COMMANDLINE or values.get(f"{o.name}_file")
               for o in options)


class _CollectGroup(click.Group):
    """`collect NAME`: one subcommand per installed connector that can save a live service."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from ..registry import connectors

        return [name for name, c in connectors().items() if c.collect is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from ..registry import connector as named

        connector = named(name)
        if connector is None or connector.collect is None:
            return None
        return _collect_command(connector)


@main.group(cls=_CollectGroup)
def collect() -> None:
    """Save a live service's content into a folder that `export NAME` then reads."""


def _collect_command(connector: Connector) -> click.Command:
    @click.command(name=connector.name, help=f"Save {connector.name} content through its API into a "
                   f"folder that `rsemigrate export {connector.name}` reads.")
    @click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
                  help="The folder to create (must not exist yet).")
    @click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
    @_declared_options(connector.collect_options)
    def command(output: Path, as_json: bool, **values: Any) -> None:
        assert connector.collect is not None
        counts = connector.collect(output, **_option_values(connector.collect_options, values))
        if as_json:
            _json({"folder": str(output), "counts": dict(counts)})
        else:
            click.echo(f"Saved {output}: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")

    return command


def _declared_options(options: tuple[Option, ...]) -> Callable[[click.Command], click.Command]:
    """Click options for a connector's declared options; a secret also gets `--NAME-file`."""

    def apply(command: Any) -> Any:
        for option in reversed(options):
            flag = "--" + option.name.replace("_", "-")
            if option.secret:
                command = click.option(
                    f"{flag}-file",
                    f"{option.name}_file",
                    type=click.File(encoding="utf-8"),
                    help=f"Read {flag} from this file instead (safer than the command "
                    "line, which other local users can see).",
                )(command)
            command = click.option(flag, option.name, envvar=option.env, default=option.default,
                                   show_envvar=option.env is not None,
                                   show_default=option.default is not None and not option.secret,
                                   help=option.help)(command)
        return command

    return apply


def _option_values(options: tuple[Option, ...], values: dict[str, Any]) -> dict[str, str | None]:
    """Declared option values by name; a secret's `--NAME-file` beats its environment variable."""
    resolved: dict[str, str | None] = {}
    ctx = click.get_current_context()
    for option in options:
        value = values.get(option.name)
        handle = values.get(f"{option.name}_file")
        if handle is not None:
            flag = "--" + option.name.replace("_", "-")
            if ctx.get_parameter_source(option.name) is ParameterSource.COMMANDLINE:
                raise click.UsageError(f"give {flag} or {flag}-file, not both")
            value = handle.readline().strip()
            if not value:
                raise click.UsageError(f"{flag}-file {handle.name}: the first line is empty")
        resolved[option.name] = value or None
    return resolved


@main.command()
@ARCHIVE
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON array.")
def validate(archive: Path, as_json: bool) -> None:
    """Check every record against the schema and every reference for a target; warn about
    messages with no text and no attachment (exit 0 with warnings only)."""
    from ..archive import Archive
    from ..archive import validate as run

    findings = list(run(Archive(archive)))
    problems = [p for p in findings if not p.warning]
    if as_json:
        _json([{"where": p.where, "problem": p.message, **({"warning": True} if p.warning else {})}
               for p in findings])
    else:
        for finding in findings:
            click.echo(str(finding))
        warnings = len(findings) - len(problems)
        click.echo(f"{archive}: {'valid' if not problems else f'{len(problems)} problem(s)'}"
                   + (f", {warnings} warning(s)" if warnings else ""))
    raise SystemExit(1 if problems else 0)


@main.command()
@ARCHIVE
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON array.")
def verify(archive: Path, as_json: bool) -> None:
    """Check completeness and checksums: name every changed, missing or extra file."""
    from ..archive import seal_of
    from ..archive import verify as run

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

    from ..archive import Archive

    header = Archive(archive).header
    counts = asdict(header.counts)
    report = counts.pop("report")
    if as_json:
        _json(counts)
        return
    census = _report_lines(archive, report, quarantined=False)  # before printing: a bad report is one error
    click.echo(f"{archive} — {header.source.platform} export {header.source.input_name}")
    click.echo(f"window: {header.window.first} … {header.window.last}")
    for key, value in counts.items():
        click.echo(f"  {key:<18} {value:>10}")
    click.echo(f"  {'quarantined':<18} {report.get('quarantined', 0):>10}")
    click.echo(f"  {'unmapped fields':<18} {report.get('unmapped', 0):>10}")
    for action, n in report.items():
        click.echo(f"  report: {action:<10} {n:>10}")
    for line in census:
        click.echo(line)


@main.command(name="connectors")
def list_connectors() -> None:
    """List the installed connectors."""
    from ..registry import connectors

    for name, connector in connectors().items():
        sides = "+".join(
            side for side, fn in (("source", connector.read), ("collect", connector.collect)) if fn
        )
        click.echo(f"{name:<12} {sides:<14} {connector.description}")

