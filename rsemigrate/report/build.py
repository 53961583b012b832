"""A triage report from an archive: indicators, classes, and (with a plan) the cost of moving."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..archive import Archive
from ..errors import InputError
from .indicators import Community, Network, Person, identities_of, month_range, scan
from .people import Naming, read_people
from .rules import CLASSES, Rules, classify, load_rules

if TYPE_CHECKING:
    from .costs import PlanSummary

ALIVE = ("essential", "active")


@dataclass(frozen=True)
class ReportRequest:
    archive: Path
    #: the date "recent" is measured back from; default: the export window's end.
    as_of: datetime | None = None
    rules: Path | None = None
    people: Path | None = None
    #: the pseudonym key; None shows real names.
    key: bytes | None = None
    plan: Path | None = None


@dataclass
class CreationMonth:
    """Communities created in a month, by class, and how many of them are still alive."""

    month: str
    created: int
    alive: int
    classes: dict[str, int]


@dataclass
class TriageReport:
    network: Network
    communities: list[Community]
    classes: dict[str, int]
    creation: list[CreationMonth]
    rules: Rules
    rules_file: str
    pseudonymised: bool
    plan: PlanSummary | None = None
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_report(request: ReportRequest) -> TriageReport:
    archive = Archive(request.archive)
    rules = load_rules(request.rules)
    as_of = request.as_of or _window_end(archive)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    naming = Naming(request.key)
    interests = read_people(request.people) if request.people else []
    users = list(archive.users())
    by_email = {u.email.lower(): u for u in users if u.email}
    people = [Person(*naming.person(i.email, by_email.get(i.email)), i.role, i.email in by_email)
              for i in interests]
    identities = identities_of(users, rules.network.home_domains,
                               {i.email: n for n, i in enumerate(interests)}, naming.name)
    communities, network = scan(archive, as_of, identities, people)
    for community in communities:
        community.triage, community.rule = classify(community, rules, as_of)
    order = {name: n for n, name in enumerate(CLASSES)}
    communities.sort(key=lambda c: (order[c.triage], -c.messages, c.name.casefold()))
    report = TriageReport(network, communities, dict(Counter(c.triage for c in communities)),
                          creation_months(communities), rules, str(request.rules or "defaults"),
                          pseudonymised=request.key is not None)
    if request.plan:
        from .costs import plan_costs  # the migration engine: loaded only for --plan

        channels_of: dict[str, list[str]] = defaultdict(list)
        ids = {c.id for c in communities}
        for channel in archive.channels():
            key = channel.group_id if channel.group_id in ids and channel.kind == "feed" else channel.id
            channels_of[key].append(channel.id)
        report.plan, columns = plan_costs(request.archive, request.plan,
                                          {c.id: channels_of.get(c.id, []) for c in communities})
        for community in communities:
            community.plan = columns[community.id]
    return report


def _window_end(archive: Archive) -> datetime:
    last = archive.header.window.last
    if last is None:
        raise InputError(f"{archive.path}: the archive holds no message, so there is no export window "
                         "to measure from; pass --as-of DATE")
    return datetime.fromisoformat(last)


def creation_months(communities: list[Community]) -> list[CreationMonth]:
    """Communities by month of creation (or of their first message when the source has no
    creation date); those with neither are under 'undated'."""
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for c in communities:
        when = c.created or c.first
        by_month[when[:7] if when else "undated"][c.triage] += 1
    months = month_range(m for m in by_month if m != "undated")
    if "undated" in by_month:
        months.append("undated")
    return [CreationMonth(m, sum(by_month[m].values()), sum(by_month[m][k] for k in ALIVE),
                          {k: by_month[m][k] for k in CLASSES if by_month[m][k]}) for m in months]
