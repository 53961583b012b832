"""Where stored files live inside the bag: apart from the reader, so that a fixity check (which
only needs paths) does not load the records and pydantic with it."""

FILES_DIR = "files"


def stored_file(sha256: str) -> str:
    """Payload path (relative to `data/`) of content with this digest."""
    return f"{FILES_DIR}/{sha256[:2]}/{sha256}"
