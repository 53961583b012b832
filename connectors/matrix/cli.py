"""`rsemigrate matrix …`: the Matrix target's own commands (the appservice registration)."""

from __future__ import annotations

from pathlib import Path

import click


def commands() -> list[click.Command]:
    return [register]


@click.command()
@click.option("--plan", "plan_path", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The Matrix plan (its [matrix] namespaces and its users mapping's existing accounts).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the registration (default: the plan's [matrix] registration).")
@click.option("--renew-tokens", is_flag=True,
              help="Draw new tokens instead of keeping the file's (the homeserver must load the new file).")
def register(plan_path: Path, output: Path | None, renew_tokens: bool) -> None:
    """Write the appservice registration YAML the homeserver must load before an import.

    The file holds the appservice's tokens (it is written readable by you only); they are never
    printed. Writing it again keeps its tokens, so rerun it after adding existing accounts to the
    users mapping.
    """
    from rsemigrate.errors import InputError

    from .appservice import write_registration
    from .plan import load_document, namespaces

    _, common, connection = load_document(plan_path)
    if output is None:
        if not connection.registration:
            raise InputError("give -o FILE, or set [matrix] registration in the plan", file=str(plan_path))
        output = plan_path.parent / connection.registration
    ns = namespaces(connection, common)
    write_registration(output, ns, renew=renew_tokens)
    path = output.resolve()
    click.echo(f"Wrote {path} (appservice {ns.sender}: virtual users {ns.user_regex()}, "
               f"room aliases {ns.alias_regex()}, {len(ns.existing)} existing account(s)).")
    click.echo("\n".join([
        "Next, on the homeserver (Synapse):",
        f"  1. copy it next to homeserver.yaml, e.g. /etc/matrix-synapse/appservices/{path.name},",
        "     readable by the synapse user only (it holds the appservice's tokens);",
        "  2. list it in homeserver.yaml:",
        "       app_service_config_files:",
        f"         - /etc/matrix-synapse/appservices/{path.name}",
        "  3. restart Synapse (it reads registrations at start-up only);",
        f"  4. check: rsemigrate plan check ARCHIVE --plan {plan_path} --online",
        "The import reads the token from this file, or from $" + connection.as_token_env + " when set.",
    ]))
