"""Which text encoding a CSV file is read in: one rule for the contract loader and both adapters.

- Valid UTF-8 (with or without BOM) is read as UTF-8.
- A file with bytes above 0x7F but no valid multi-byte UTF-8 sequence is a single-byte export
  (Latin-1 / cp1252) and is read as Latin-1 with a warning.
- A file that holds valid multi-byte UTF-8 *and* bytes that are not UTF-8 mixes encodings: reading it
  either way corrupts some values (as Latin-1, every "ü" of the UTF-8 rows becomes "Ã¼"), so it is a
  one-line error naming the file and the first bad line.

Readers try UTF-8 first and call `fallback_encoding` only when that fails, so valid files cost nothing
extra; the check itself streams the file in chunks and skips pure-ASCII chunks without decoding them.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path

from ingest.errors import LumbarError

_CHUNK_BYTES = 16 * 1024 * 1024


def open_bytes(path: Path) -> io.BufferedIOBase:
    """The file's bytes, decompressed when its name ends in .gz."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")  # type: ignore[return-value]


HEADER_PEEK_BYTES = 1024 * 1024


def read_head(path: Path) -> bytes:
    """The first bytes of a (possibly gzipped) file, enough for its header; LumbarError if unreadable."""
    try:
        with open_bytes(path) as handle:
            return handle.read(HEADER_PEEK_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise LumbarError(
            f"{path}: cannot read the file ({type(exc).__name__}); it may be truncated, re-export it"
        ) from None


def latin1_warning(path: Path | str) -> str:
    return f"{path}: not valid UTF-8; read as Latin-1 (check accented text)"


def decode_head(head: bytes) -> str:
    """The first bytes of a file as text, for reading its header: UTF-8 (BOM dropped), else Latin-1."""
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return head.decode("latin-1")


def fallback_encoding(path: Path) -> str:
    """'utf-8' when the whole file is valid UTF-8, 'latin-1' when it holds no valid multi-byte UTF-8;
    a LumbarError when it mixes both (see the module docstring)."""
    bad_line: int | None = None  # file line (1-based) of the first byte that is not UTF-8
    multibyte = False
    lines = 0  # line ends before the current chunk (while no bad byte was found)
    carry = b""  # an incomplete sequence (or, after a bad byte, the last 3 bytes) from the previous chunk
    try:
        with open_bytes(path) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK_BYTES), b""):
                data = carry + chunk
                if bad_line is not None:
                    # only the question left: does valid UTF-8 occur anywhere after the bad byte?
                    if _has_multibyte(data):
                        multibyte = True
                        break
                    carry = data[-3:]
                    continue
                carry = b""
                if data.isascii():
                    lines += data.count(b"\n")
                    continue
                start, cut = _first_error(data)
                if start is None:
                    multibyte = True
                    lines += data.count(b"\n")
                    continue
                good, rest = data[:start], data[start:]
                if not good.isascii():
                    multibyte = True
                lines += good.count(b"\n")
                if cut:
                    carry = rest  # a sequence cut by the chunk boundary; the next chunk completes it
                    continue
                bad_line = lines + 1
                if multibyte:
                    break
                if _has_multibyte(rest):
                    multibyte = True
                    break
                carry = rest[-3:]
    except (OSError, EOFError, zlib.error) as exc:
        raise LumbarError(
            f"{path}: cannot read the file ({type(exc).__name__}); it may be truncated, re-export it"
        ) from None
    if bad_line is None and carry:
        bad_line = lines + 1  # the file ends inside a multi-byte sequence
    if bad_line is None:
        return "utf-8"
    if multibyte:
        raise LumbarError(
            f"{path}: mixes UTF-8 text with bytes that are not UTF-8 (first on line {bad_line}); a file with "
            "mixed encodings cannot be read safely, re-export it as UTF-8"
        )
    return "latin-1"


def _first_error(data: bytes) -> tuple[int | None, bool]:
    """Offset of the first byte that is not UTF-8 (None if all is), and whether it only starts a sequence
    the end of `data` cut short (a chunk boundary, to be completed by the next chunk)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start, exc.reason == "unexpected end of data" and len(data) - exc.start < 4
    return None, False


def _has_multibyte(data: bytes) -> bool:
    """Whether `data` holds at least one valid multi-byte UTF-8 sequence.

    With surrogateescape every byte that is not UTF-8 becomes one character, as does every ASCII byte, so
    the text is shorter than the bytes exactly when some valid sequence folded 2-4 bytes into one character
    (and CPython decodes this in C, about 50 times faster than a regular expression for the sequences).
    """
    return not data.isascii() and len(data.decode("utf-8", "surrogateescape")) < len(data)
