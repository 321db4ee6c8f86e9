"""Pieces of the raw-table loader; `ingest.load` is the public entry point.

- `sources`   : the SourceTable / Reject records adapters hand to the loader
- `readers`   : find contract-named files in a folder, hash them, stage them as all-text temp tables
- `validate`  : set-based SQL that types each staged row or gives the reason it is rejected
- `warehouse` : open the DuckDB file safely (owner-only, busy check) and write one transaction
- `report`    : the LoadReport printed after every load
"""
