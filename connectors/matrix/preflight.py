"""`plan check --online` for Matrix: read-only questions to the homeserver before anything is written.

- Does it speak a client-server API version with timestamp massaging (v1.3 and later)?
- Is the appservice registered: does its token answer `whoami` as the plan's sender?
- May the appservice act as every existing account the mapping names (`whoami?user_id=`)?
- Does its upload limit admit the plan's `max_upload_bytes`?
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from rsemigrate.errors import InputError
from rsemigrate.migrate import PreflightCheck, Problem, RateLimiter

from .appservice import load_as_token
from .client import MatrixClient, MatrixError, MatrixUnavailable
from .plan import MatrixPlan

MIN_VERSION = (1, 3)


@dataclass
class PreflightResult:
    checks: list[PreflightCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def run_preflight(plan: MatrixPlan) -> PreflightResult:
    return asyncio.run(_preflight(plan))


def _versions(found: list[str]) -> bool:
    parsed = []
    for v in found:
        try:
            parsed.append(tuple(int(x) for x in v.removeprefix("v").split(".")[:2]))
        except ValueError:
            continue
    return any(v >= MIN_VERSION for v in parsed)


async def _preflight(plan: MatrixPlan) -> PreflightResult:
    result = PreflightResult()
    url = plan.connection.homeserver_url
    try:
        token = load_as_token(plan.connection.as_token_env, plan.registration_path)
    except InputError as error:
        token = ""
        result.checks.append(PreflightCheck("appservice token", False, str(error)))
    client = MatrixClient(url, token, RateLimiter(None, None))
    try:
        versions = (await client.call("server", "GET", "/_matrix/client/versions")).get("versions") or []
        ok = _versions(versions)
        result.checks.append(
            PreflightCheck(
                "homeserver",
                ok,
                f"{url} speaks {', '.join(versions[-3:]) or 'nothing'}"
                + ("" if ok else "; timestamp massaging needs v1.3 or later"),
            )
        )
        if token:
            await _identity(client, plan, result)
    except (MatrixError, MatrixUnavailable) as error:
        result.checks.append(PreflightCheck("homeserver", False, f"{url} cannot be reached: {error}"))
        result.problems.append(Problem("homeserver-unreachable", "refused", url, str(error)))
    finally:
        await client.close()
    return result


async def _identity(client: MatrixClient, plan: MatrixPlan, result: PreflightResult) -> None:
    sender = plan.namespaces.sender
    try:
        owner = await client.whoami()
    except MatrixError as error:
        result.checks.append(
            PreflightCheck("appservice registered", False, f"the token is refused ({error})")
        )
        result.problems.append(
            Problem(
                "appservice-not-registered",
                "refused",
                "matrix.registration",
                "the homeserver does not know the appservice token: add the registration to "
                "app_service_config_files and restart it",
            )
        )
        return
    result.checks.append(PreflightCheck("appservice registered", owner == sender, f"acts as {owner}"
                                        + ("" if owner == sender else f", the plan expects {sender}")))
    refused = 0
    for account in plan.namespaces.existing:
        try:
            await client.whoami(account)
        except MatrixError as error:
            refused += 1
            result.problems.append(
                Problem(
                    "existing-account",
                    "refused",
                    f"account {account}",
                    f"the appservice cannot act as it ({error.errcode}): create the account, "
                    "or rerun `rsemigrate matrix register` and restart the homeserver",
                )
            )
    result.checks.append(
        PreflightCheck(
            "existing accounts",
            not refused,
            f"{len(plan.namespaces.existing) - refused} of {len(plan.namespaces.existing)} "
            "can be acted as (identity assertion)",
        )
    )
    try:
        config = await client.call("server", "GET", "/_matrix/client/v1/media/config")
    except MatrixError:
        return
    limit = config.get("m.upload.size")
    if isinstance(limit, int):
        ok = limit >= plan.connection.max_upload_bytes
        result.checks.append(
            PreflightCheck(
                "upload limit",
                ok,
                f"the homeserver accepts {limit} bytes per file"
                + ("" if ok else f", less than matrix.max_upload_bytes ({plan.connection.max_upload_bytes})"),
            )
        )
