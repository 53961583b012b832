"""Productions for review platforms: a selection of an archive as RSMF 2.0, sealed in a bag.

    manifest.py    one slice of a conversation → `rsmf_manifest.json` (the mapping, `custom`)
    slicing.py     conversation → files: by day, week, month or none; 10,000 events, 2 GB
    transcript.py  the text body Relativity indexes
    eml.py         the zip and the RFC 5322 message around it (7-bit, one base64 attachment)
    loadfile.py    the CSV load file: control numbers, dates, counts, MD5 and SHA-256
    production.py  the order of work, the provenance, the sealed bag
    check.py       Relativity's documented validator rules, for reading a production back

See docs/productions.md.
"""

from .check import Finding, Outcome, check_manifest, check_rsmf, check_zip, outcome
from .loadfile import COLUMNS as LOADFILE_COLUMNS
from .manifest import VERSION as RSMF_VERSION
from .production import LOADFILE, PROVENANCE_FILE, RSMF_DIR, Counts, Options, Produced, produce
from .slicing import MAX_EVENTS, Limits, Period

__all__ = [
    "Counts",
    "Finding",
    "LOADFILE",
    "LOADFILE_COLUMNS",
    "Limits",
    "MAX_EVENTS",
    "Options",
    "Outcome",
    "PROVENANCE_FILE",
    "Period",
    "Produced",
    "RSMF_DIR",
    "RSMF_VERSION",
    "check_manifest",
    "check_rsmf",
    "check_zip",
    "outcome",
    "produce",
]
