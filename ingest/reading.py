"""Reading one delivered file (CSV or XLSX) into an Arrow table of text, canonical headers.

Everything is read as text: typing is the validator's job, so a bad value becomes a quarantined
row with a reason instead of a parser error that loses the file.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import Kind

UTF8_BOM = b"\xef\xbb\xbf"
GLOB_CHARS = re.compile(r"[*?\[\]{}]")


class UnreadableFileError(Exception):
    """Not a CSV/XLSX that can be parsed, or an undetectable encoding."""


@dataclass
class ParsedFile:
    table: pa.Table  # canonical column names, all strings, plus int64 row_number (1-based)
    encoding: str
    dropped_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.num_rows


def decode_text(data: bytes) -> tuple[str, str]:
    """Detect UTF-8 (with or without BOM) or GB18030 (a superset of GBK) by strict decoding."""
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(f"BOM says UTF-8 but the bytes are not: {exc}") from None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError("encoding is neither UTF-8 nor GB18030/GBK")


def read_csv_text(
    path: Path, data: bytes, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[pa.Table, str]:
    if not data.strip():
        raise UnreadableFileError("empty file: not even a header row")
    text, encoding = decode_text(data)
    with tempfile.TemporaryDirectory(prefix="kpi-read-") as tmp:
        source = path
        if GLOB_CHARS.search(str(path)):  # DuckDB would read the name as a pattern
            source = Path(tmp) / "delivery.csv"
            source.write_bytes(data)
        if encoding != "utf-8":  # DuckDB reads UTF-8 only: hand it a transcoded copy
            source = Path(tmp) / "transcoded.csv"
            source.write_text(text, encoding="utf-8")
        try:
            con = con or duckdb.connect()  # a new connection costs ~20 ms: reuse one per night
            table = con.read_csv(
                str(source),
                header=True,
                all_varchar=True,
                sep=",",
                quotechar='"',
                escapechar='"',
                null_padding=True,
                normalize_names=False,
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise UnreadableFileError(f"CSV cannot be parsed: {str(exc).splitlines()[0]}") from None
    return table, encoding


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(path: Path) -> pa.Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, zlib, XML and openpyxl errors alike
        raise UnreadableFileError(f"XLSX cannot be opened: {type(exc).__name__}: {exc}") from None
    try:
        return _sheet_table(workbook)
    except UnreadableFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged workbook fails in many ways: all unreadable
        raise UnreadableFileError(f"XLSX cannot be read: {type(exc).__name__}: {exc}") from None
    finally:
        workbook.close()


def _sheet_table(workbook) -> pa.Table:
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise UnreadableFileError("XLSX first sheet is empty: not even a header row")
        names = [str(h) if h is not None else f"column{i}" for i, h in enumerate(header)]
        # Trailing blank rows are formatting, not data.
        body = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    finally:
        pass
    columns = {
        name: pa.array([_cell_text(r[i]) if i < len(r) else None for r in body], pa.string())
        for i, name in enumerate(names)
    }
    return pa.table(columns) if columns else pa.table({})


def read_delivery(
    path: Path, kind: Kind, data: bytes | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> ParsedFile:
    """Parse a delivered file; map Chinese aliases to canonical names; drop unknown columns."""
    if path.suffix.lower() == ".xlsx":
        raw, encoding = _xlsx_table(path), "xlsx"
    else:
        raw, encoding = read_csv_text(path, path.read_bytes() if data is None else data, con)

    lookup = kind.header_lookup()
    keep: dict[str, pa.ChunkedArray] = {}
    dropped: list[str] = []
    for header, column in zip(raw.column_names, raw.columns, strict=True):
        name = header.strip().lstrip("\ufeff")
        canonical = lookup.get(name)
        if canonical is None or canonical in keep:
            # Unknown, name-like (NAME_LIKE_COLUMNS) or repeated: reported by header only; the
            # values are never copied anywhere.
            dropped.append(name)
            continue
        keep[canonical] = column
    keep["row_number"] = pa.array(range(1, raw.num_rows + 1), pa.int64())
    return ParsedFile(pa.table(keep), encoding, dropped)
