"""Target accounts for the import: every UPN the plan names, resolved to an Entra object id.

Graph wants object ids in `from`, mentions and reactions, and the plan speaks in UPNs or emails.
So before anything is written the import looks up every account it will use, the same way
`plan check --online` does: an email match that is not a user of the tenant moves that person to
the placeholder (their name is still shown); an explicit mapping, the placeholder or an owner
that does not resolve stops the import before any write, naming them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import quote

from rsemigrate.errors import InputError
from transforms import UserMap

from .client import GraphClient, GraphFailure

CONCURRENT_LOOKUPS = 8


@dataclass
class Accounts:
    #: account reference (UPN or id, lower-cased) → object id.
    ids: dict[str, str] = field(default_factory=dict)
    #: source user ids whose email is not an account of the tenant (they post as the placeholder).
    unresolved: frozenset[str] = frozenset()

    def id(self, ref: str) -> str:
        return self.ids[ref.lower()]


async def resolve_accounts(g: GraphClient, users: UserMap, extra: list[str]) -> Accounts:
    """Look up every account `users` maps to, plus `extra` ones (owners); see the module doc."""
    wanted: dict[str, list[str]] = {}
    for user_id in users.users:
        who = users.identity(user_id)
        if who.target:
            wanted.setdefault(who.target.lower(), []).append(user_id)
    for ref in extra:
        wanted.setdefault(ref.lower(), [])
    gate = asyncio.Semaphore(CONCURRENT_LOOKUPS)

    async def lookup(ref: str) -> tuple[str, str | None]:
        async with gate:
            try:
                user = await g.send_json("users", "GET", f"/users/{quote(ref, safe='@')}", idempotent=True)
            except GraphFailure as failure:
                if failure.status == 404:
                    return ref, None
                raise InputError(f"cannot look up the account {ref}: {failure}") from None
            return ref, str(user["id"]) if user and user.get("id") else None

    found = dict(await asyncio.gather(*(lookup(ref) for ref in sorted(wanted))))
    accounts = Accounts({ref: oid for ref, oid in found.items() if oid})
    unresolved: set[str] = set()
    refused: list[str] = []
    for ref, sources in sorted(wanted.items()):
        if found[ref]:
            continue
        by_email = [s for s in sources if users.identity(s).method == "email"]
        unresolved.update(by_email)
        if len(by_email) < len(sources) or not sources:
            refused.append(ref)
    if refused:
        raise InputError("these accounts are not users of the tenant: " + ", ".join(refused) +
                         " (explicit mappings, the placeholder or team owners). Fix the plan or create them; "
                         "`rsemigrate plan check ARCHIVE --plan PLAN --online` lists them all")
    accounts.unresolved = frozenset(unresolved)
    return accounts
