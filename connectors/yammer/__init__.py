"""Yammer / Viva Engage network data export (placeholder while the reader is written)."""
from rsemigrate.connector import Connector

connector = Connector(name="yammer", description="Yammer / Viva Engage network data export (.zip or folder).")
