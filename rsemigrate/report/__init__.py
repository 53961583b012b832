"""The network triage report: which communities are essential, which were dead-born, and what
moving them costs.

    indicators.py  one streaming pass over the archive: each community's figures, the network's
    mailstyle.py   posts written like an e-mail (greeting … sign-off), French and English
    rules.py       the triage rules (TOML, defaults in triage.toml) and the classifier
    people.py      people of interest (--people) and keyed pseudonyms (--pseudonymise)
    costs.py       --plan: each community's share of the target's dry run
    build.py       the report from an archive
    columns.py     the community table's columns, shared by the page and the CSV
    charts.py      matplotlib charts, inlined as SVG
    render.py      JSON, CSV and the self-contained HTML page (templates/report.html.j2)

`plan init --triage` reads the JSON back in the engine (rsemigrate.migrate.archive_only).

Documented in docs/report.md.
"""

from .build import CreationMonth, ReportRequest, TriageReport, build_report
from .indicators import Community, Month, Network, Person
from .people import KEY_ENV, pseudonym_key
from .render import render, to_csv, to_html, to_json
from .rules import CLASSES, Rules, load_rules

__all__ = [
    "CLASSES",
    "Community",
    "CreationMonth",
    "KEY_ENV",
    "Month",
    "Network",
    "Person",
    "ReportRequest",
    "Rules",
    "TriageReport",
    "build_report",
    "load_rules",
    "pseudonym_key",
    "render",
    "to_csv",
    "to_html",
    "to_json",
]
