"""A local EMULATOR of the documented Microsoft Graph subset that a Teams import uses.

It is not Microsoft Graph: it enforces the published import rules so that tests and admin
rehearsals fail where a tenant would (see docs/teams.md for the subset, and for what only a
canary tenant can prove). It also answers the reads of a Teams export (`reads`), and can be seeded
with existing content from a saved collection (`seed`; docs/teams-source.md).
"""

from .config import EmulatorConfig
from .faults import Fault
from .server import GraphEmulator
from .state import App, User

__all__ = ["App", "EmulatorConfig", "Fault", "GraphEmulator", "User"]
