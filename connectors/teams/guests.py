"""Authors from outside the tenant: people matched by an email whose domain is not the tenant's.

On a real tenant such a person is at best a guest, whose user principal name is not their email
(`ann_partner.org#EXT#@contoso.onmicrosoft.com`), so the lookup by email that resolves everyone
else finds nobody. `plan check` names them, and the plan's `[teams] external_authors` chooses:
- `placeholder` (the default): they post as the placeholder, their name in the attribution line;
- `guest`: their guest account, found by its `mail` (they must have been invited beforehand);
- `skip`: their messages are left out, counted.
The tenant's domains are `[teams] tenant_domains`, by default the placeholder's domain and the
archive's most common email domain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rsemigrate.migrate import Problem
from transforms import UserMap

from .plan import TeamsPlan

SKIPPED = "written by an author from outside the tenant (external_authors = \"skip\")"


@dataclass(frozen=True)
class External:
    source_id: str
    name: str
    email: str


def tenant_domains(plan: TeamsPlan, users: UserMap) -> frozenset[str]:
    """[teams] tenant_domains, else the placeholder's domain and the archive's most common one."""
    if plan.connection.tenant_domains:
        return frozenset(d.lower() for d in plan.connection.tenant_domains)
    placeholder = plan.common.users.placeholder or ""
    found = Counter(u.email.rpartition("@")[2].lower() for u in users.users.values()
                    if u.email and "@" in u.email)
    own = {placeholder.rpartition("@")[2].lower()} if "@" in placeholder else set()
    return frozenset(own | {found.most_common(1)[0][0]} if found else own)


def external_authors(plan: TeamsPlan, users: UserMap) -> list[External]:
    """Everyone matched by an email outside the tenant's domains (none when those are unknown)."""
    domains = tenant_domains(plan, users)
    found = []
    for user_id, user in users.users.items():
        who = users.identity(user_id)
        domain = (who.target or "").rpartition("@")[2].lower()
        if domains and who.method == "email" and who.target and domain not in domains:
            found.append(External(user_id, user.name, who.target))
    return sorted(found, key=lambda e: e.email)


def unresolved_from_start(plan: TeamsPlan, users: UserMap) -> frozenset[str]:
    """Source ids that post as the placeholder before any lookup (external_authors = placeholder)."""
    if plan.connection.external_authors != "placeholder":
        return frozenset()
    return frozenset(e.source_id for e in external_authors(plan, users))


_FATE = {"placeholder": "they post as the placeholder, their name shown",
         "guest": "they post as their guest accounts, found by email (invite them first; --online checks)",
         "skip": "their messages are left out, counted"}


def external_problems(plan: TeamsPlan, users: UserMap) -> list[Problem]:
    """One warning naming the external authors and what the plan does with them."""
    found = external_authors(plan, users)
    if not found:
        return []
    names = ", ".join(f"{e.name} <{e.email}>" for e in found[:10]) + (f" and {len(found) - 10} more"
                                                                      if len(found) > 10 else "")
    choice = plan.connection.external_authors
    return [Problem("external-author", "warning", "users matched by email",
                    f"{len(found)} outside the tenant's domains "
                    f"({', '.join(sorted(tenant_domains(plan, users)))}): "
                    f"{names}. A real tenant does not know them by that email; [teams] external_authors = "
                    f"\"{choice}\": {_FATE[choice]}")]
