"""What `plan init --triage triage.json` reads: the communities to leave in the archive only.

The JSON is the triage report's (`rsemigrate report ARCHIVE --format json`): each community's
`id` (a group id, or a channel id) is the plan's destination key, its `triage` class and the
`rule` that put it there. A triage written for another archive is refused, since its ids would
not mean the same thing. Read here, not in the report package, because the engine must not
depend on the readers of an archive.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from ..errors import InputError

#: the classes whose communities a triaged plan leaves in the archive only.
ARCHIVE_ONLY = ("dead-born", "test", "dormant")


def archive_only(path: Path, archive_id: str) -> dict[str, str]:
    """Community id -> the class and the rule, with its figures, for every dead-born, test or
    dormant community of the triage at `path`."""
    try:
        data = orjson.loads(path.read_bytes())
        written_for = data["network"]["archive_id"]
        rows = [(row["id"], row["triage"], row["rule"]) for row in data["communities"]]
    except OSError as exc:
        raise InputError(f"cannot read the triage ({exc.strerror})", file=str(path)) from None
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"not a triage report in JSON (write one with `rsemigrate report ARCHIVE "
                         f"--format json -o {path.name}`): {exc}", file=str(path)) from None
    if written_for != archive_id:
        raise InputError(f"the triage was written for archive {written_for}, not {archive_id}: "
                         "run `rsemigrate report` on this archive", file=str(path))
    return {cid: rule for cid, triage, rule in rows if triage in ARCHIVE_ONLY}
