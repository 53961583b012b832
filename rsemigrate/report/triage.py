"""What `plan init --triage triage.json` reads back: the communities to leave in the archive only.

The JSON is the report's own (`rsemigrate report ARCHIVE --format json`); a triage written for
another archive is refused, since its community ids would not mean the same thing.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from ..errors import InputError
from .rules import ARCHIVE_ONLY


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
