"""Where and as whom one import run writes: a real tenant, or the rehearsal's emulator.

Its own module so that the importer (which runs a session) and the rehearsal (which builds one
around an emulator) both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .credential import TokenCredential
from .plan import ConnectionSection


@dataclass(frozen=True)
class Session:
    mode: str
    connection: ConnectionSection
    ledger_url: str
    credential: TokenCredential


def default_rehearsal_dir(plan: Path) -> Path:
    """Where `--rehearse` writes: `plan.toml` → `plan.rehearsal/` beside it."""
    return plan.resolve().with_suffix(".rehearsal")
