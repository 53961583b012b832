"""Built-in connectors, one package per platform, registered under `rsemigrate.connectors`.

A connector never imports another connector; what they share lives in `rsemigrate`.
"""
