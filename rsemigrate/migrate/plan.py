"""The parts of a migration plan every target shares: the header, users, options and rates.

A plan is a TOML file the admin edits (`rsemigrate plan init` writes a commented one). Targets
add their own tables (where each source group goes); the sections here mean the same for all.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal

import orjson
from pydantic import ConfigDict, field_validator
from pydantic.dataclasses import dataclass

from .planfile import PlanDocument, PlanError

STRICT = ConfigDict(extra="forbid")
PLAN_VERSION = 1


@dataclass(config=STRICT)
class PlanHeader:
    """[plan]: which target, which archive it was written for."""

    target: str
    version: int = PLAN_VERSION
    #: the archive's `archive_id` and seal when the plan was written; a check warns on change.
    archive_id: str | None = None
    archive_seal: str | None = None


@dataclass(config=STRICT)
class UsersSection:
    """[users]: how source people become target accounts."""

    #: CSV with columns `source` (user id or email) and `target` (UPN or object id); relative
    #: paths are relative to the plan file.
    mapping: str | None = None
    match_by_email: bool = True
    #: the account that posts for anyone unmapped; their name is shown in the message.
    placeholder: str | None = None
    attribution: str = "Originally posted by {name}"

    @field_validator("attribution")
    @classmethod
    def _has_name(cls, value: str) -> str:
        if "{name}" not in value:
            raise ValueError("must contain {name}, where the original author's name goes")
        return value


def _instant(value: date | datetime | None, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{key} needs a time zone (write 2020-01-01T00:00:00Z), or a bare date")
        stamp = value
    else:
        stamp = datetime.combine(value, time(), UTC)
    return int(stamp.timestamp() * 1000)


@dataclass(config=STRICT)
class OptionsSection:
    """[options]: what to migrate and how to fall back."""

    skip_deleted: bool = True
    skip_system: bool = True
    #: date window on thread roots: since is inclusive, until exclusive (dates are UTC midnight).
    since: date | datetime | None = None
    until: date | datetime | None = None
    private_conversations: Literal["group-chats", "skip"] = "group-chats"
    files: Literal["upload", "skip"] = "upload"
    reactions: Literal["import", "summary", "skip"] = "import"
    edited_marker: bool = True

    @field_validator("since", "until")
    @classmethod
    def _zoned(cls, value: date | datetime | None) -> date | datetime | None:
        _instant(value, "the date")
        return value

    @property
    def since_ms(self) -> int | None:
        return _instant(self.since, "since")

    @property
    def until_ms(self) -> int | None:
        return _instant(self.until, "until")


@dataclass(config=STRICT)
class RatesSection:
    """[rates]: the pace the import will keep (and the dry run's duration estimate uses)."""

    per_channel: float = 4.0
    tenant: float = 40.0
    upload_bytes_per_second: float = 5_000_000.0

    @field_validator("per_channel", "tenant", "upload_bytes_per_second")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value


@dataclass
class CommonPlan:
    header: PlanHeader
    users: UsersSection
    options: OptionsSection
    rates: RatesSection
    #: the users mapping CSV resolved against the plan's folder, if any.
    mapping_path: Path | None


def plan_fingerprint(common: CommonPlan, path: Path, section: str, connection_keys: Iterable[str]) -> str:
    """Canonical JSON of the plan as it decides content: without [rates] and the target section's
    connection keys (where and as whom to connect may change between runs), with the users
    mapping's digest (its content decides authors). A resume refuses a plan whose fingerprint changed."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.pop("rates", None)
    for key in connection_keys:
        data.get(section, {}).pop(key, None)
    if common.mapping_path:
        digest = hashlib.sha256(common.mapping_path.read_bytes()).hexdigest()
        data.setdefault("users", {})["mapping_sha256"] = digest
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str).decode()


def load_common(doc: PlanDocument) -> CommonPlan:
    if "plan" not in doc.data:
        raise PlanError("the [plan] table is missing (it names the target: target = \"...\")",
                        file=str(doc.path), line=1)
    header = doc.section(("plan",), PlanHeader)
    if header.version != PLAN_VERSION:
        raise doc.error(("plan", "version"), f"plan version {header.version} is not supported "
                                             f"(this tool reads version {PLAN_VERSION})")
    users = doc.section(("users",), UsersSection)
    options = doc.section(("options",), OptionsSection)
    if options.since_ms is not None and options.until_ms is not None and options.since_ms >= options.until_ms:
        raise doc.error(("options", "until"), "must be later than options.since")
    mapping = None
    if users.mapping:
        mapping = (doc.path.parent / users.mapping).resolve()
        if not mapping.is_file():
            raise doc.error(("users", "mapping"), f"no such file: {mapping}")
    return CommonPlan(header, users, options, doc.section(("rates",), RatesSection), mapping)


def plan_target(path: Path) -> str:
    """The target a plan file is for (its [plan] target key)."""
    doc = PlanDocument.load(path)
    if "plan" not in doc.data:
        raise PlanError("the [plan] table is missing (it names the target: target = \"...\")",
                        file=str(path), line=1)
    return doc.section(("plan",), PlanHeader).target
