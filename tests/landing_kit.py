"""Hand-made landing zones for tests: small files written exactly as a source would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ingest.identity import check_char
from ingest.landing import sha256_of

BUSINESS_DATE = "2026-03-10"
TEST_KEY = b"test-pseudonym-key"


def resident_id(region: str = "441623", birth: str = "19800101", seq: str = "001") -> str:
    first17 = region + birth + seq
    return first17 + check_char(first17)


INSTITUTIONS = [
    # code, name, tier, region, consortium, role, valid_from, valid_to
    ("H44162300001", "连平县人民医院", "county_hospital", "441623", "LP", "lead", "2020-01-01", ""),
    ("H44162300011", "忠信镇卫生院", "township_center", "441623", "LP", "member", "2020-01-01", ""),
    ("H44162300021", "村卫生室", "village_clinic", "441623", "LP", "member", "2026-03-05", ""),
    (
        "H44010000001",
        "省人民医院",
        "provincial_hospital",
        "440100",
        "",
        "external",
        "2020-01-01",
        "",
    ),
]
CONSORTIA = [("LP", "连平县医共体", "county_community", "441623", "H44162300001")]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding="utf-8",
    newline="\n",
    bom=False,
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_reference(landing: Path, institutions=INSTITUTIONS, consortia=CONSORTIA) -> None:
    write_csv(
        landing / "reference" / "institutions.csv",
        [
            "institution_code",
            "name",
            "tier",
            "region_code",
            "consortium_id",
            "role",
            "valid_from",
            "valid_to",
        ],
        [list(r) for r in institutions],
    )
    write_csv(
        landing / "reference" / "consortia.csv",
        ["consortium_id", "name", "kind", "region_code", "lead_institution_code"],
        [list(r) for r in consortia],
    )


def write_manifest(
    folder: Path, files: dict[str, int | None], *, sha: dict[str, str] | None = None
) -> None:
    entries = {}
    for name, rows in files.items():
        entry: dict = {"rows": rows} if rows is not None else {}
        entry["sha256"] = (sha or {}).get(name) or sha256_of((folder / name).read_bytes())
        entries[name] = entry
    (folder / "_manifest.json").write_text(json.dumps({"files": entries}))


VISIT_HEADER = [
    "visit_id",
    "institution_code",
    "patient_id",
    "residence_region_code",
    "visit_type",
    "visit_date",
    "discharge_date",
    "total_cost",
]


def visit(
    visit_id: str,
    institution="H44162300011",
    pid=None,
    vtype="outpatient",
    date=BUSINESS_DATE,
    discharge="",
    cost="12.50",
    region="441623",
) -> list[str]:
    return [visit_id, institution, pid or resident_id(), region, vtype, date, discharge, cost]
