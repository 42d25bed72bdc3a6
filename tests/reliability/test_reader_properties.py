"""Property-based: whatever bytes a source delivers, the reader either returns text columns
with one row per data row, or says `UnreadableFileError` - never another exception, and never
a hang. And a night over such a file beside a good one accounts for every row."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from landing_kit import BUSINESS_DATE, TEST_KEY, VISIT_HEADER, visit, write_csv, write_reference  # noqa: E402

from ingest.contract import KINDS  # noqa: E402
from ingest.pseudonym import PseudonymKey  # noqa: E402
from ingest.reading import UnreadableFileError, read_delivery  # noqa: E402
from night.steps import NightConfig, ingest, land_reference  # noqa: E402
from warehouse.publish import audit, load_raw_schema, start_working_copy  # noqa: E402

VISITS = KINDS["visits"]
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "=1+2", "+86", "-5", "@SUM(A1)", "\x00", '"', "a,b", "x\ny", "男"]),
)


def csv_bytes(rows: list[list[str]], encoding: str, newline: str) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write(
            ",".join('"' + c.replace('"', '""') + '"' if set(c) & set(',"\n\r') else c for c in row)
        )
        out.write(newline)
    return out.getvalue().encode(encoding, errors="replace")


def check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        parsed = read_delivery(path, VISITS, data)
    except UnreadableFileError:
        return
    assert parsed.table.column_names[-1] == "row_number"
    numbers = parsed.table["row_number"].to_pylist()
    assert numbers == list(range(1, len(numbers) + 1))
    for name in parsed.table.column_names[:-1]:
        assert str(parsed.table[name].type) == "string"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2000))
@example(data=b"\r\x00")  # once raised csv.Error (a bare CR read without newline="")
def test_random_bytes_never_crash_the_reader(tmp_path, data):
    check(tmp_path / "visits.csv", data)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from([*VISIT_HEADER, "姓名", "extra", "", "visit_id"]), min_size=1, max_size=12
    ),
    rows=st.lists(st.lists(CELL, min_size=0, max_size=14), max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_ragged_rows_duplicate_headers_encodings_and_formulas(
    tmp_path, header, rows, encoding, newline
):
    check(tmp_path / "visits.csv", csv_bytes([header, *rows], encoding, newline))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=10), max_size=10),
    damage=st.sampled_from(["none", "drop_part", "truncate", "garbage_part"]),
    part=st.sampled_from(
        ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml", "xl/styles.xml"]
    ),
)
def test_xlsx_structure_never_crashes_the_reader(tmp_path, rows, damage, part):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    buffer = io.BytesIO()
    try:
        for row in [VISIT_HEADER, *rows]:
            sheet.append(row)
        book.save(buffer)
    except Exception:  # noqa: BLE001 - openpyxl refuses to write some cells (control characters)
        return
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    if damage == "drop_part":
        parts.pop(part, None)
    elif damage == "truncate" and part in parts:
        parts[part] = parts[part][: len(parts[part]) // 3]
    elif damage == "garbage_part":
        parts[part] = b"\x00\xff not xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    check(tmp_path / "visits.xlsx", out.getvalue())


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=500),
        st.builds(
            lambda rows: csv_bytes([VISIT_HEADER, *rows], "utf-8", "\n"),
            st.lists(st.lists(CELL, min_size=0, max_size=10), max_size=8),
        ),
    )
)
def test_a_night_accounts_for_every_row_beside_a_hostile_file(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("night")
    write_reference(root / "landing")
    cfg = NightConfig.build(root / "landing", root / "kpi.duckdb")
    write_csv(
        cfg.landing / BUSINESS_DATE / "H44162300011" / "visits.csv", VISIT_HEADER, [visit("g1")]
    )
    hostile = cfg.landing / BUSINESS_DATE / "H44162300001" / "visits.csv"
    hostile.parent.mkdir(parents=True)
    hostile.write_bytes(data)
    ingest(cfg, "visits", PseudonymKey(TEST_KEY), land_reference(cfg))
    con = duckdb.connect(str(start_working_copy(cfg.warehouse)))
    load_raw_schema(con, cfg.lake)
    assert audit(con) == []  # read = loaded + quarantined for every file, no clear ID
    good = con.sql(
        "SELECT rows_loaded FROM raw.ingest_files WHERE source_code = 'H44162300011'"
    ).fetchall()
    assert good == [(1,)]
