"""The triage rules: thresholds from a TOML file (defaults in `triage.toml`), and the classifier.

Each community gets exactly one class and the sentence that explains it, quoting its figures
next to the thresholds, so a committee can see why and an admin can move a threshold.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ConfigDict, TypeAdapter, ValidationError

from ..errors import InputError
from .indicators import Community

DEFAULTS = Path(__file__).with_name("triage.toml")
CLASSES = ("essential", "active", "dormant", "dead-born", "test")
STRICT = ConfigDict(extra="forbid")


@dataclass
class TestRule:
    __pydantic_config__ = STRICT
    names: list[str] = field(default_factory=list)
    max_messages: int = 50


@dataclass
class DeadBornRule:
    __pydantic_config__ = STRICT
    max_messages: int = 20
    max_authors: int = 3
    first_weeks: int = 8


@dataclass
class DormantRule:
    __pydantic_config__ = STRICT
    quiet_days: int = 365


@dataclass
class EssentialRule:
    __pydantic_config__ = STRICT
    min_active_months: int = 12
    min_authors: int = 20
    min_reply_rate: float = 0.5
    max_median_reply_hours: float = 24.0


@dataclass
class NetworkRule:
    __pydantic_config__ = STRICT
    home_domains: list[str] = field(default_factory=list)


@dataclass
class Rules:
    __pydantic_config__ = STRICT
    test: TestRule
    dead_born: DeadBornRule
    dormant: DormantRule
    essential: EssentialRule
    network: NetworkRule


def load_rules(path: Path | None = None) -> Rules:
    """The defaults, with the tables of `path` (if given) laid over them key by key."""
    data = _toml(DEFAULTS)
    if path is not None:
        for table, values in _toml(path).items():
            if not isinstance(values, dict):
                raise InputError(f"{table!r} must be a table ([{table}]), not a value", file=str(path))
            data.setdefault(table, {}).update(values)
    try:
        return TypeAdapter(Rules).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{key}: {first['msg']}", file=str(path or DEFAULTS)) from None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the rules ({exc.strerror})", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None


def classify(c: Community, rules: Rules, as_of: datetime) -> tuple[str, str]:
    """(class, the rule that put it there, with the community's figures)."""
    t, d, q, e = rules.test, rules.dead_born, rules.dormant, rules.essential
    word = _test_word(c.name, t.names)
    if word and c.messages <= t.max_messages:
        return "test", f"test: name holds {word!r} and {c.messages} messages ≤ {t.max_messages}"
    weeks = _weeks(c.first, c.last)
    if c.messages <= d.max_messages and c.authors <= d.max_authors and weeks <= d.first_weeks:
        return "dead-born", (f"dead-born: {c.messages} messages ≤ {d.max_messages}, {c.authors} authors "
                             f"≤ {d.max_authors}, last message {weeks:g} weeks after the first "
                             f"≤ {d.first_weeks}")
    quiet_since = as_of - timedelta(days=q.quiet_days)
    if c.last is None or _instant(c.last) <= quiet_since:
        return "dormant", (f"dormant: no message in the {q.quiet_days} days before "
                           f"{as_of.date().isoformat()} (last {(c.last or 'never')[:10]})")
    hours, rate = c.median_first_reply_hours, c.reply_rate
    missed = [why for failed, why in (
        (c.active_months < e.min_active_months, f"{c.active_months} active months < {e.min_active_months}"),
        (c.authors < e.min_authors, f"{c.authors} authors < {e.min_authors}"),
        (rate is None or rate < e.min_reply_rate,
         f"reply rate {'—' if rate is None else f'{rate:.0%}'} < {e.min_reply_rate:.0%}"),
        (hours is None or hours > e.max_median_reply_hours,
         f"median first reply {'none' if hours is None else f'{hours:g} h'} > "
         f"{e.max_median_reply_hours:g} h"),
    ) if failed]
    if not missed:
        return "essential", (f"essential: {c.active_months} active months ≥ {e.min_active_months}, "
                             f"{c.authors} authors ≥ {e.min_authors}, reply rate {rate:.0%} ≥ "
                             f"{e.min_reply_rate:.0%}, median first reply {hours:g} h ≤ "
                             f"{e.max_median_reply_hours:g} h")
    return "active", "active: alive, but not essential: " + ", ".join(missed)


def _test_word(name: str, words: list[str]) -> str | None:
    for word in words:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", name, re.IGNORECASE):
            return word
    return None


def _instant(utc: str) -> datetime:
    return datetime.fromisoformat(utc)


def _weeks(first: str | None, last: str | None) -> float:
    if first is None or last is None:
        return 0.0
    return round((_instant(last) - _instant(first)).total_seconds() / (7 * 86_400), 1)
