"""`rsemigrate report`: the network triage report (HTML, JSON or CSV).

Only click is imported at load time; the report package loads inside the command.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click


@click.command()
@click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The report file to write.")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv"]), default=None,
              help="Default: from the output's extension (.json, .csv), else html.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Measure recent activity back from this date (UTC). Default: the export window's end.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A migration plan: add each community's plan decision and cost (from its dry run).")
@click.option("--rules", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Triage thresholds (TOML) over the documented defaults.")
@click.option("--people", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="People of interest: a CSV with the columns email and role.")
@click.option("--pseudonymise", is_flag=True,
              help="Show people as keyed pseudonyms (HMAC); the key comes from $RSEMIGRATE_PSEUDONYM_KEY "
                   "or --key-file.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False),
              help="The file holding the pseudonym key.")
def report(archive: Path, output: Path, fmt: str | None, as_of: datetime | None, plan_path: Path | None,
           rules: Path | None, people: Path | None, pseudonymise: bool, key_file: Path | None) -> None:
    """Triage ARCHIVE's communities: essential, active, dormant, dead-born or test, with the
    indicators and the rule behind each class."""
    from ..errors import InputError
    from ..report import ReportRequest, build_report, pseudonym_key, render

    if not output.parent.is_dir():
        raise InputError(f"{output.parent} is not a folder: create it, or write the report elsewhere")
    fmt = fmt or {".json": "json", ".csv": "csv"}.get(output.suffix.lower(), "html")
    key = pseudonym_key(key_file) if pseudonymise else None
    made = build_report(ReportRequest(archive, as_of, rules, people, key, plan_path))
    content = render(made, fmt)
    partial = output.with_name(f".{output.name}.partial")
    partial.write_bytes(content)
    partial.replace(output)  # never a half-written report under the final name
    classes = ", ".join(f"{n} {name}" for name, n in sorted(made.classes.items(), key=lambda kv: -kv[1]))
    click.echo(f"Wrote {output}: {len(made.communities)} communities ({classes or 'none'}).")
