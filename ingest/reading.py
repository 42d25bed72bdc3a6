"""Reading one delivered file (CSV or XLSX) into an Arrow table of text, canonical headers.

Everything is read as text: typing is the validator's job, so a bad value becomes a quarantined
row with a reason instead of a parser error that loses the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from ingest.contract import Kind

UTF8_BOM = b"\xef\xbb\xbf"
# Work per workbook is bounded (a zip bomb or a sheet declaring a million rows must not hold
# the night); a workbook beyond a bound is unreadable_file, the bound in its detail.
XLSX_MAX_UNPACKED_BYTES = 512 * 2**20
XLSX_MAX_COLUMNS = 512
XLSX_MAX_ROWS = 1_048_576  # Excel's own sheet limit
XLSX_MAX_SECONDS = 120


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
    """RFC 4180 CSV (quoted fields may hold commas, doubled quotes and newlines) to text
    columns. Parsed from the bytes already read, never from the path: a landing name is data,
    never a pattern, and one parser call per file costs ~1 ms where a DuckDB read_csv (with its
    dialect sniffing) cost ~30 ms."""
    if not data.strip():
        raise UnreadableFileError("empty file: not even a header row")
    text, encoding = decode_text(data)
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as exc:
        raise UnreadableFileError(f"CSV cannot be parsed: {exc}") from None
    if not header:
        raise UnreadableFileError("no header row")
    placeholders = [f"c{i}" for i in range(len(header))]  # header names may repeat
    utf8 = text.encode("utf-8")
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(
                column_names=placeholders, skip_rows=1, block_size=max(len(utf8) + 1, 1 << 20)
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(placeholders, pa.string()),
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        table = _ragged_csv(text, len(header))  # rows of another length: judged row by row
    return table.rename_columns(header), encoding


def _ragged_csv(text: str, width: int) -> pa.Table:
    """A CSV whose rows differ in length. Short rows are padded with empty values (a missing
    required value is then reported for the row); a row longer than the header cannot be
    mapped to columns, and makes the file unreadable_file."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r][1:]
    except csv.Error as exc:
        raise UnreadableFileError(f"CSV cannot be parsed: {exc}") from None
    for number, row in enumerate(rows, start=1):
        if len(row) > width:
            raise UnreadableFileError(
                f"CSV cannot be parsed: data row {number} has {len(row)} values, the header {width}"
            )
    columns = [
        pa.array([(r[i] or None) if i < len(r) else None for r in rows], pa.string())
        for i in range(width)
    ]
    return pa.table(columns, names=[f"c{i}" for i in range(width)])


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
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFileError(f"XLSX cannot be opened: {exc}") from None
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise UnreadableFileError(
            f"XLSX unpacks to {unpacked:,} bytes, over the bound of {XLSX_MAX_UNPACKED_BYTES:,}"
        )
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
    sheet = workbook.worksheets[0]
    # The declared dimension is the file's word, not its content: a 5 KB workbook may declare a
    # million rows by 16,384 columns. Read the rows the sheet holds instead.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise UnreadableFileError("XLSX first sheet is empty: not even a header row")
    if len(header) > XLSX_MAX_COLUMNS:
        raise UnreadableFileError(
            f"XLSX header has {len(header)} columns, over the bound of {XLSX_MAX_COLUMNS}"
        )
    names = [str(h) if h is not None else f"column{i}" for i, h in enumerate(header)]
    deadline = time.monotonic() + XLSX_MAX_SECONDS
    body = []
    for number, row in enumerate(rows, start=1):
        if number > XLSX_MAX_ROWS or number % 10_000 == 0 and time.monotonic() > deadline:
            raise UnreadableFileError(
                f"XLSX exceeds the bounds of {XLSX_MAX_ROWS:,} rows or {XLSX_MAX_SECONDS} s a file"
            )
        # Trailing blank rows are formatting, not data.
        if any(v is not None and str(v).strip() for v in row):
            body.append(row)
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
