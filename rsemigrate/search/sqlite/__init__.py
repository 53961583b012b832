"""The SQLite FTS5 search back end: tables.py (schema), build.py (indexing), compile.py (query
translation) and backend.py (the `SearchBackend` implementation)."""
