"""Tolerant, but never guessing, timestamp parsing into `Timestamp(utc, raw)`.

Accepted: ISO 8601 / RFC 3339 with `Z` or a numeric offset (`2019-03-04T10:00:00Z`,
`2019-03-04 10:00:00.123+01:00`) and Yammer's REST form `2019/03/04 10:00:00 +0000`. A time
without a zone is refused rather than assumed to be UTC: a silent hour shift in evidence is worse
than a clear error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .records import Timestamp

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s?(?:Z|z|[+-]\d{2}(?::?\d{2})?)"
)
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_SLASHED = re.compile(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{4})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(raw: str) -> Timestamp:
    """Parse `raw`; raises ValueError with the accepted forms when it is anything else."""
    text = raw.strip()
    # Already RFC 3339 UTC, as in most exports: only check that the date exists. This runs per
    # message, so the shape is one slice, not `_CANONICAL`: `fromisoformat` takes only ASCII digits
    # between these separators, so what it parses here matches `_CANONICAL`; anything else falls
    # through to the regexes for its exact error.
    if len(text) == 20 and text[4::3] == "--T::Z":
        try:
            datetime.fromisoformat(text)
        except ValueError as exc:
            if _CANONICAL.fullmatch(text):
                raise ValueError(f"impossible timestamp {raw!r}: {exc}") from None
        else:
            return Timestamp(text, raw)
    # The same with milliseconds, as Microsoft Graph writes every time (`…T09:00:00.123Z`): kept as
    # `format_utc` would write it, the fraction dropped when it is `.000`.
    if len(text) == 24 and text[4:20:3] == "--T::." and text[23] == "Z" and text[20:23].isascii() \
            and text[20:23].isdigit():
        try:
            datetime.fromisoformat(text)
        except ValueError:
            pass  # the regexes below say what is wrong
        else:
            return Timestamp(text if text[20:23] != "000" else text[:19] + "Z", raw)
    if _ISO.fullmatch(text):
        iso = text.replace(",", ".").replace(" Z", "Z")
        # Python < 3.12 rejects more than 6 fractional digits; nanoseconds are kept in `raw`.
        iso = _LONG_FRACTION.sub(r"\1", iso)
    elif m := _SLASHED.fullmatch(text):
        iso = f"{m[1]}-{m[2]}-{m[3]}T{m[4]}{m[5]}"
    else:
        raise ValueError(
            f"unrecognised timestamp {raw!r}: expected ISO 8601 with Z or an offset "
            "(2019-03-04T10:00:00Z) or 'YYYY/MM/DD HH:MM:SS +0000'"
        )
    try:
        stamp = datetime.fromisoformat(iso)
    except ValueError as exc:
        raise ValueError(f"impossible timestamp {raw!r}: {exc}") from None
    return Timestamp(format_utc(stamp), raw)


def format_utc(stamp: datetime) -> str:
    """RFC 3339 in UTC with `Z`; fractions only when present (milliseconds or microseconds)."""
    stamp = stamp.astimezone(UTC)
    # `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, cut: a third cheaper than `replace(tzinfo=None)` then
    # `isoformat(timespec=…)`, and it runs per message for Yammer's REST form.
    text = stamp.isoformat()
    if not stamp.microsecond:
        return text[:19] + "Z"
    return text[:23 if stamp.microsecond % 1000 == 0 else 26] + "Z"


def sort_key(utc: str) -> str:
    """A string that sorts like the instant: `utc` with its fraction padded to microseconds.

    Comparing RFC 3339 strings directly fails when one has a fraction and the other not
    (`…:00.5Z` < `…:00Z`); padding both to `YYYY-MM-DDTHH:MM:SS.ffffff` is exact and far
    cheaper than parsing, which matters once per message.
    """
    return utc[:19] + ".000000" if len(utc) == 20 else utc[:-1].ljust(26, "0")


def utc_of_key(key: str) -> str:
    """The RFC 3339 string of a `sort_key`, in `format_utc`'s form."""
    fraction = key[20:].rstrip("0")
    if not fraction:
        return key[:19] + "Z"
    return f"{key[:20]}{key[20:23] if len(fraction) <= 3 else key[20:]}Z"


def utc_micros(utc: str) -> int:
    """Microseconds since the epoch of an RFC 3339 string: the sort key of messages."""
    stamp = datetime.fromisoformat(utc)
    return (stamp - _EPOCH) // _MICRO


_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH
