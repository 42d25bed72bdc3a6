"""Bytes of one delivered file: CSV (pyarrow writer) or XLSX (openpyxl), byte-identical for
the same input (fixed ZIP timestamps and document properties)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.contract import MONEY, Kind
from synthetic.format import CONDITIONAL, FileStyle

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓"
    "冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志文玉珍红梅春生金海荣德福"
EXTRA_VALUES = {
    "备注": ("", "", "", "复诊", "医保", "自费", "家庭医生签约"),
    "操作员工号": tuple(f"OP{k:04d}" for k in range(1, 40)),
    "his_version": ("HIS 5.2.1", "HIS 5.2.1", "HIS 6.0.0"),
}
FIXED_TIME = datetime(2020, 1, 1)
_MONEY = re.compile(MONEY)
_INTEGER = re.compile(r"^[0-9]{1,4}$")


def needs_conditional(kind: Kind, cols: dict[str, pa.Array]) -> bool:
    """Does any row need the kind's conditional column (inpatient / reversal rows)?"""
    name = CONDITIONAL.get(kind.name)
    if name is None:
        return True
    column = kind.column(name)
    trigger_column, trigger = column.required_when
    values = {trigger, kind.column(trigger_column).labels[trigger]}
    return bool(pc.any(pc.is_in(cols[trigger_column], pa.array(sorted(values)))).as_py())


def file_columns(
    kind: Kind, style: FileStyle, cols: dict[str, pa.Array], drop: str | None
) -> tuple[list[str], list[str]]:
    """(canonical columns, headers) written to one file."""
    conditional = CONDITIONAL.get(kind.name)
    omit = {drop} if drop else set()
    if style.omit_conditional and conditional and not needs_conditional(kind, cols):
        omit.add(conditional)
    pairs = [(c, h) for c, h in zip(style.columns, style.headers, strict=True) if c not in omit]
    return [c for c, _ in pairs], [h for _, h in pairs]


def render(
    kind: Kind,
    style: FileStyle,
    cols: dict[str, pa.Array],
    rng: np.random.Generator | None = None,
    drop: str | None = None,
) -> bytes:
    """The file's bytes: the style's columns and headers, plus a name column and an extra
    column when the style has them (both dropped at ingest)."""
    if (style.name_column or style.extra_column) and rng is None:
        raise ValueError("a style with a name or extra column needs a random generator")
    names, headers = file_columns(kind, style, cols, drop)
    arrays = [cols[c] for c in names]
    n = len(cols[kind.columns[0].name])
    if style.name_column:
        position = min(3, len(arrays))
        arrays.insert(position, pa.array(_names(rng, n), type=pa.string()))
        headers.insert(position, style.name_column)
        names.insert(position, "")
    if style.extra_column:
        pool = EXTRA_VALUES[style.extra_column]
        arrays.append(pa.array([pool[k] for k in rng.integers(0, len(pool), n)], type=pa.string()))
        headers.append(style.extra_column)
        names.append("")
    table = pa.table(arrays, names=[f"c{k}" for k in range(len(arrays))])
    if style.fmt == "xlsx":
        numeric = [kind.column(c).type in ("money", "integer") if c else False for c in names]
        return xlsx_bytes(headers, table, numeric)
    return csv_bytes(headers, table, style)


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """Fake Chinese names (surname + one or two given characters): never real people."""
    surname = rng.integers(0, len(SURNAMES), n)
    first = rng.integers(0, len(GIVEN), n)
    second = rng.integers(-len(GIVEN), len(GIVEN), n)  # negative: a one-character given name
    return [
        SURNAMES[s] + GIVEN[f] + (GIVEN[g] if g >= 0 else "")
        for s, f, g in zip(surname, first, second, strict=True)
    ]


def csv_bytes(headers: list[str], table: pa.Table, style: FileStyle) -> bytes:
    eol = "\r\n" if style.crlf else "\n"
    body = io.BytesIO()
    try:
        options = pacsv.WriteOptions(include_header=False, quoting_style="none", eol=eol)
        pacsv.write_csv(table, body, options)
    except pa.ArrowInvalid:  # a value with a comma or quote (e.g. a malformed amount)
        body = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed", eol=eol)
        pacsv.write_csv(table, body, options)
    data = (",".join(headers) + eol).encode("utf-8") + body.getvalue()
    if style.encoding == "gb18030":
        return data.decode("utf-8").encode("gb18030")
    if style.encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    return data


def xlsx_bytes(headers: list[str], table: pa.Table, numeric: list[bool]) -> bytes:
    """One sheet, header row then data. Money and integer cells are numbers when well formed
    (as an Excel export has them); IDs, codes and dates stay text."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(headers)
    columns = [table.column(k).to_pylist() for k in range(table.num_columns)]
    for row in zip(*columns, strict=True):
        sheet.append([_cell(v, num) for v, num in zip(row, numeric, strict=True)])
    workbook.properties.creator = "HIS"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _cell(value: str | None, numeric: bool) -> object:
    if value is None or not numeric:
        return value
    if _INTEGER.match(value):
        return int(value)
    if _MONEY.match(value):
        return float(value)
    return value


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite an XLSX with fixed entry timestamps and document dates: byte-identical output."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2020-01-01T00:00:00Z\g<3>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()


def unreadable(kind: Kind, style: FileStyle, cols: dict[str, pa.Array]) -> bytes:
    """A truncated XLSX (an interrupted export): no reader can open it."""
    xlsx_style = FileStyle(fmt="xlsx", columns=style.columns, headers=style.headers)
    head = {c: v.slice(0, 20) for c, v in cols.items()}  # the bytes are cut short anyway
    data = render(kind, xlsx_style, head)
    return data[: len(data) // 2]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(entries: dict[str, tuple[int, str]]) -> bytes:
    files = {
        name: {"rows": rows, "sha256": digest} for name, (rows, digest) in sorted(entries.items())
    }
    return (json.dumps({"files": files}, indent=2, sort_keys=True) + "\n").encode("utf-8")
