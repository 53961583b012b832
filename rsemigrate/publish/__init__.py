"""A static HTML edition of an archive for preservation: plain pages, its files, Pagefind search.

    edition.py   the order of work: channels by month, thread pages, files, index, search, seal
    pages.py     Jinja templates (autoescaped) and bodies through the allow-list sanitizer
    templates/   the page templates; static/ the stylesheet and the search starter

See docs/productions.md.
"""

from .edition import PROVENANCE_FILE, Published, publish

__all__ = ["PROVENANCE_FILE", "Published", "publish"]
