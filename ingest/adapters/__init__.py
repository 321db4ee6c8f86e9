"""Adapters that turn real-world exports (Synthea CSV, OMOP CDM 5.4) into raw-contract tables.

Each adapter returns an `AdapterResult` for `ingest.load.load_sources`: the mapped tables, the
source rows it could not map (with reasons), rows read per source file, and notes for the report.
"""

from ingest.adapters.common import AdapterResult
from ingest.adapters.omop import read_omop  # noqa: F401
from ingest.adapters.synthea import read_synthea

__all__ = ["AdapterResult", "read_omop", "read_synthea"]
