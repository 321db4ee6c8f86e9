"""The one encoding rule the contract loader and both adapters share (ingest.loading.encoding)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ingest.errors import LumbarError
from ingest.loading import encoding
from ingest.loading.encoding import fallback_encoding

UTF8_ROW = "P1,Zürich\n".encode()
LATIN1_ROW = "P2,São\n".encode("latin-1")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"id,site\n" + UTF8_ROW * 5, "utf-8"),
        (b"id,site\n" + LATIN1_ROW * 5, "latin-1"),
        (b"id,site\nP1,caf\xe9", "latin-1"),  # a high byte as the very last byte
        (b"id,site\n" + "€".encode("cp1252") + b"\n", "latin-1"),  # cp1252 exports count as single-byte
    ],
)
@pytest.mark.parametrize("chunk", [3, 5, 1 << 20])
def test_single_encoding_files(tmp_path: Path, monkeypatch, body: bytes, expected: str, chunk: int):
    """Tiny chunks put chunk boundaries inside multi-byte sequences: they must not look like bad bytes."""
    monkeypatch.setattr(encoding, "_CHUNK_BYTES", chunk)
    path = tmp_path / "t.csv"
    path.write_bytes(body)
    assert fallback_encoding(path) == expected


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b"id,site\n" + UTF8_ROW * 3 + LATIN1_ROW, 5),  # UTF-8 first
        (b"id,site\n" + LATIN1_ROW + b"P3,plain\n" * 40 + UTF8_ROW, 2),  # UTF-8 only after the bad byte
        (b"\xef\xbb\xbfid,site\n" + LATIN1_ROW, 2),  # a UTF-8 BOM claims UTF-8
    ],
)
@pytest.mark.parametrize("chunk", [4, 7, 1 << 20])
def test_mixed_encodings_are_an_error_naming_the_line(
    tmp_path: Path, monkeypatch, body: bytes, line: int, chunk: int
):
    monkeypatch.setattr(encoding, "_CHUNK_BYTES", chunk)
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(body))
    with pytest.raises(LumbarError) as info:
        fallback_encoding(path)
    message = str(info.value)
    assert str(path) in message and f"line {line}" in message and "\n" not in message
