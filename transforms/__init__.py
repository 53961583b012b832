"""Composable passes over neutral records that prepare an archive for a target.

Each pass is a plain function from an iterator of records to an iterator of records, so passes
chain without holding an export in memory. Passes arrive with the targets that need them.
"""
