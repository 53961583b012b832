"""The load file: one CSV row per `.rsmf`, which review platforms read to ingest a production.

Control numbers are the production's prefix plus a zero-padded sequence, in production order;
the file's name is its control number, so a row and its file can never be confused.
"""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

CONTROL_DIGITS = 6


class Row(NamedTuple):
    control_number: str
    conversation_id: str
    conversation: str
    platform: str
    conversation_type: str
    slice: str
    event_collection_id: str
    begin_date: str
    end_date: str
    custodian: str
    participants: str
    participant_count: int
    event_count: int
    attachment_count: int
    md5: str
    sha256: str
    size: int
    path: str


COLUMNS = Row._fields


def control_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:0{CONTROL_DIGITS}d}"


def csv_bytes(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
