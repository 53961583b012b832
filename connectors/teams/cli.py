"""`rsemigrate teams …`: the Teams target's own commands (for now, the Graph emulator)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rsemigrate.errors import InputError

if TYPE_CHECKING:
    from .emulator import User


def commands() -> list[click.Command]:
    return [emulator]


def _users(users_csv: Path | None, upns: tuple[str, ...], archive: Path | None) -> list[User]:

    from .emulator import User

    found: dict[str, User] = {}
    for upn in upns:
        found[upn.lower()] = User.make(upn)
    if users_csv:
        with open(users_csv, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if "upn" not in (reader.fieldnames or []):
                raise InputError("the header must name the column 'upn' (optional: displayName, enabled)",
                                 file=str(users_csv), line=1)
            for row in reader:
                upn = (row.get("upn") or "").strip()
                if upn:
                    found[upn.lower()] = User.make(
                        upn,
                        (row.get("displayName") or "").strip() or None,
                        enabled=(row.get("enabled") or "true").strip().lower() != "false",
                    )
    if archive:
        from rsemigrate.archive import Archive

        for user in Archive(archive).users():
            if user.email and user.email.lower() not in found:
                found[user.email.lower()] = User.make(user.email, user.name)
    return list(found.values())


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0: any free port).")
@click.option("--user", "upns", multiple=True, help="A tenant user's UPN (repeatable).")
@click.option("--users", "users_csv", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="CSV of tenant users: upn[,displayName][,enabled].")
@click.option("--archive", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Also make every archive user with an email a tenant user (email as UPN).")
@click.option("--content", "content", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Seed the tenant with a saved Teams collection (`rsemigrate collect teams`; folder or "
                   "zip): "
                   "existing channels and chats to rehearse an export against (repeatable).")
@click.option("--fault", "faults", multiple=True,
              help="Inject a fault: 'METHOD PATH-REGEX drop|lost|STATUS [nth=N] [every=N] [times=N]'.")
@click.option("--channel-rps", type=float, default=None,
              help="Throttle only per channel or chat at this rate (0: off), instead of Graph's documented "
                   "limits.")
@click.option("--tenant-rps", type=float, default=None,
              help="Throttle only every request at this rate (0: off), instead of Graph's documented limits.")
@click.option("--tenant-id", default=None, help="Tenant id (default: a fixed emulator GUID).")
@click.option("--client-id", default=None, help="The app's client id (default: a fixed emulator id).")
@click.option("--secret-env", default="RSEMIGRATE_TEAMS_CLIENT_SECRET", show_default=True,
              help="Environment variable holding the app's secret (unset: 'emulator-secret').")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
def emulator(host: str, port: int, upns: tuple[str, ...], users_csv: Path | None, archive: Path | None,
             content: tuple[Path, ...], faults: tuple[str, ...], channel_rps: float | None,
             tenant_rps: float | None,
             tenant_id: str | None, client_id: str | None, secret_env: str, quiet: bool) -> None:
    """Run a local EMULATOR of the Graph import API for rehearsals (it is not Microsoft Graph).

    Point a plan's [teams] graph_url and login_url at the printed URLs, then run
    `rsemigrate plan check ARCHIVE --plan PLAN --online`. State: GET /_emulator/state.
    """
    import logging

    from .emulator import App, EmulatorConfig, Fault, GraphEmulator
    from .emulator.state import DEFAULT_CLIENT_ID, DEFAULT_SECRET, DEFAULT_TENANT

    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        raise InputError(
            "the emulator has unauthenticated control endpoints: listen on a loopback address only"
        )
    try:
        parsed = [Fault.parse(spec) for spec in faults]
    except ValueError as exc:
        raise InputError(str(exc)) from None
    app = App(client_id or DEFAULT_CLIENT_ID, os.environ.get(secret_env) or DEFAULT_SECRET)
    config = EmulatorConfig(tenant_id=tenant_id or DEFAULT_TENANT, apps=[app],
                            users=_users(users_csv, upns, archive), per_channel_rps=channel_rps,
                            tenant_rps=tenant_rps, log_requests=not quiet, seed=None, content=list(content))
    server = GraphEmulator(config, host=host, port=port)
    for fault in parsed:
        server.faults.add(fault)
    url = server.bind()
    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    click.echo(f"Graph EMULATOR (not Microsoft Graph) listening on {url}")
    if content:
        click.echo(f"  seeded: {len(server.tenant.teams)} teams, {len(server.tenant.chats)} chats, "
                   f"{len(server.tenant.items)} drive files")
    limits = server.throttle.limits
    click.echo(f"  {len(server.tenant.users)} tenant users; throttling {limits.per_conversation:g}/s per "
               "channel or "
               f"chat, {limits.per_team:g}/s per team, {limits.channel_posts:g}/s channel posts, "
               f"{limits.chat_posts:g}/s chat posts, {limits.team_creates:g}/s POST /teams, "
               f"{limits.teams_calls:g}/s other Teams calls"
               + (f", {limits.overall:g}/s in all" if limits.overall else ""))
    click.echo("  In the plan's [teams] table:")
    click.echo(f'    graph_url = "{url}/v1.0"')
    click.echo(f'    login_url = "{url}"')
    click.echo(f'    tenant_id = "{config.tenant_id}"')
    click.echo(f'    client_id = "{app.client_id}"')
    click.echo(
        f"  and the secret in ${secret_env}"
        + ("" if os.environ.get(secret_env) else " (unset: use 'emulator-secret')")
    )
    click.echo("Ctrl-C stops it; nothing is kept after it stops.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
