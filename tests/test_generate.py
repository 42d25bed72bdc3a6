"""The synthetic landing-zone generator (ingest/generate.py).

The fault tests re-read every generated file with a small, independent reading of
the extract contract (built on ingest.contract, not on the generator) and check that the reasons it
finds are exactly the faults the generator reports — so every injected row triggers its own
reason and nothing else, and a zone generated without faults is entirely clean.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pyarrow as pa
import pytest

from ingest.contract import (
    CONSORTIUM_KINDS,
    DATE_FORMATS,
    FILE_REASONS,
    KEY_POPULATIONS,
    KINDS,
    MAX_RECORD_AGE_DAYS,
    MONEY,
    NAME_LIKE_COLUMNS,
    NATIONAL_INSTITUTION_CODE,
    POPULATION_GROUPS,
    REASON_CODES,
    REFERENCE_FILES,
    REGION_CODE,
    SERVICE_ITEMS,
    TCM_FLAG,
    Kind,
)
from ingest.identity import is_valid_id
from synthetic import faults
from synthetic.format import to_strings
from synthetic.generate import arrived_by, generate_landing_zone, main, redeliver
from synthetic.records import (
    DOW_PUBLIC_HEALTH,
    TERMINATED,
    ContractBook,
    WorldArrays,
    contracts,
    epoch_day,
)
from synthetic.world import PH_ITEMS, PRIMARY_TIERS, build_world, write_reference

START = date(2024, 3, 4)  # a Monday
DAYS = 5  # the plain zone for proportions
ROW_REASONS = [r for r in REASON_CODES if r not in FILE_REASONS]


@pytest.fixture(scope="module")
def clean_zone(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("clean")
    return generate_landing_zone(out, START, 1, "county", seed=3)


@pytest.fixture(scope="module")
def faulty_zone(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("faulty")
    return generate_landing_zone(out, START, 2, "county", seed=5, fault_rate=0.01)


@pytest.fixture(scope="module")
def plain_week(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("plain")
    return generate_landing_zone(out, START, DAYS, "county", seed=11, plain=True)


# An independent reading of the contract --------------------------------------------------------


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows as text; raises on anything unreadable."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        width = len(rows[0])  # read-only mode leaves out a row's trailing empty cells
        rows = [row + [""] * (width - len(row)) for row in rows]
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


@functools.lru_cache(maxsize=4096)  # a file repeats the same few dates
def parse_date(text: str) -> date | None:
    for fmt, pattern in zip(
        DATE_FORMATS, (r"\d{4}-\d{2}-\d{2}", r"\d{4}/\d{2}/\d{2}", r"\d{8}"), strict=True
    ):
        if re.fullmatch(pattern, text):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                return None
    return None


def id_birth_ok(pid: str, day: date) -> bool:
    try:
        born = date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
    except ValueError:
        return False
    return born <= day


class Checker:
    """Assigns every row of a landing zone its first reason in the contract's precedence."""

    def __init__(self, zone: Path) -> None:
        self.zone = zone
        with open(zone / "reference" / "institutions.csv", encoding="utf-8") as f:
            self.registry = {row["institution_code"] for row in csv.DictReader(f)}
        self.found: set[tuple[str, str, int]] = set()
        self.unknown_headers: dict[str, list[str]] = {}
        self.settled: set[str] = set()
        self.rows_read = Counter()
        self._rules: dict[str, dict] = {}

    def run(self) -> None:
        for day_dir in sorted(p for p in self.zone.iterdir() if p.name != "reference"):
            reversals: list[tuple[str, int, str]] = []
            for source_dir in sorted(day_dir.iterdir()):
                manifest = self._manifest(source_dir)
                for path in sorted(source_dir.iterdir()):
                    if path.name != "_manifest.json":
                        reversals += self.check_file(path, manifest)
            for rel, row, original in reversals:
                if original not in self.settled:
                    self.found.add(("orphan_reversal", rel, row))

    @staticmethod
    def _manifest(folder: Path) -> dict:
        path = folder / "_manifest.json"
        return json.loads(path.read_text("utf-8"))["files"] if path.exists() else {}

    def check_file(self, path: Path, manifest: dict) -> list[tuple[str, int, str]]:
        rel = path.relative_to(self.zone).as_posix()
        kind = KINDS[path.stem]
        try:
            header, rows = read_table(path)
        except Exception:
            self.found.add(("unreadable_file", rel, 0))
            return []
        lookup = kind.header_lookup()
        self.unknown_headers[rel] = [h for h in header if h not in lookup]
        columns = [lookup.get(h) for h in header]
        if any(c not in columns for c in kind.required_columns):
            self.found.add(("missing_required_column", rel, 0))
            return []
        if path.name in manifest:
            digest = __import__("hashlib").sha256(path.read_bytes()).hexdigest()
            if manifest[path.name] != {"rows": len(rows), "sha256": digest}:
                self.found.add(("manifest_mismatch", rel, 0))
                return []
        self.rows_read[kind.name] += len(rows)
        day = date.fromisoformat(path.parent.parent.name)
        seen: set[tuple[str, ...]] = set()
        reversals = []
        for number, values in enumerate(rows, start=1):
            record = {c: v.strip() for c, v in zip(columns, values, strict=True) if c}
            reason = self.row_reason(kind, record, path.parent.name, day)
            key = tuple(self._norm(kind, c, record.get(c, "")) for c in kind.key)
            if reason is None and key in seen:
                reason = "duplicate_key"
            seen.add(key)
            if reason:
                self.found.add((reason, rel, number))
            elif kind.name == "claims":
                if self._norm(kind, "record_type", record["record_type"]) == "reverse":
                    reversals.append((rel, number, record["original_claim_id"]))
                else:
                    self.settled.add(record["claim_id"])
        return reversals

    def _norm(self, kind: Kind, column: str, value: str) -> str:
        lookup = self.rules(kind)["enums"].get(column)
        return lookup.get(value, value) if lookup else value

    def rules(self, kind: Kind) -> dict:
        if kind.name not in self._rules:
            self._rules[kind.name] = self._compile(kind)
        return self._rules[kind.name]

    @staticmethod
    def _compile(kind: Kind) -> dict:
        columns = kind.columns
        return {
            "required": [c.name for c in columns if c.required == "yes"],
            "conditional": [(c.name, *c.required_when) for c in columns if c.required_when],
            "institutions": [
                (c.name, c.national_codes_known, c.separators) for c in columns if c.institution
            ],
            "enums": {c.name: c.enum_lookup for c in columns if c.type == "enum"},
            "lists": {c.name: (c.separators, c.max_items) for c in columns if c.separators},
            "regions": [c.name for c in columns if c.type == "region"],
            "dates": [(c.name, c.record_date, c.any_date) for c in columns if c.type == "date"],
            "date_order": kind.date_order,
            "money": [c.name for c in columns if c.type == "money"],
            "ranges": [
                (c.name, c.min_value, c.max_value) for c in columns if c.min_value is not None
            ],
        }

    @staticmethod
    def _items(value: str, separators: str | None) -> list[str]:
        """A cell's items: a list cell's non-empty trimmed parts, else the value itself."""
        if not separators:
            return [value]
        return [item.strip() for item in re.split(f"[{separators}]", value) if item.strip()]

    def row_reason(self, kind: Kind, r: dict[str, str], source: str, day: date) -> str | None:
        rules, get = self.rules(kind), r.get
        if kind.source_column and get(kind.source_column) != source:
            return "wrong_source_folder"
        if any(not get(c) for c in rules["required"]) or any(
            self._norm(kind, trigger, get(trigger, "")) == value and not get(c)
            for c, trigger, value in rules["conditional"]
        ):
            return "missing_required_value"
        pid = get("patient_id", "")
        if not (is_valid_id(pid) and id_birth_ok(pid, day)):
            return "invalid_patient_id"
        for c, national, separators in rules["institutions"]:
            for code in self._items(get(c), separators) if get(c) else []:
                if code not in self.registry and not (
                    national and re.match(NATIONAL_INSTITUTION_CODE, code)
                ):
                    return "unknown_institution"
        lists = rules["lists"]
        for c, (separators, most) in lists.items():
            if get(c) and most and len(self._items(get(c), separators)) > most:
                return "invalid_enum"
        if any(
            get(c) and any(v not in lookup for v in self._items(get(c), lists.get(c, (None,))[0]))
            for c, lookup in rules["enums"].items()
        ) or any(get(c) and not re.match(REGION_CODE, get(c)) for c in rules["regions"]):
            return "invalid_enum"
        oldest = day - timedelta(MAX_RECORD_AGE_DAYS)
        for c, record_date, any_date in rules["dates"]:
            if get(c):
                parsed = parse_date(get(c))
                if parsed is None or (
                    not any_date and (parsed > day or (record_date and parsed < oldest))
                ):
                    return "invalid_date"
        if rules["date_order"]:
            start, end = (parse_date(get(c) or "") for c in rules["date_order"])
            if start and end and end < start:
                return "invalid_date"
        amounts = {c: get(c) for c in rules["money"] if get(c)}
        if any(not re.match(MONEY, v) for v in amounts.values()):
            return "invalid_amount"
        if kind.name == "claims":
            total, fund, personal = (
                Decimal(amounts[c]) for c in ("total_amount", "fund_paid", "personal_paid")
            )
            if fund > total or abs(fund + personal - total) > Decimal("0.01"):
                return "invalid_amount"
        for c, low, high in rules["ranges"]:
            if get(c) and not low <= float(get(c)) <= high:
                return "out_of_range"
        return None


def reported(report) -> set[tuple[str, str, int]]:
    return {(reason, path, row) for reason, hits in report.faults.items() for path, row in hits}


# Tests -----------------------------------------------------------------------------------------


def test_clean_zone_is_entirely_valid(clean_zone) -> None:
    checker = Checker(clean_zone.out)
    checker.run()
    assert checker.found == set()
    assert clean_zone.faults == {} and clean_zone.late_files == {}
    assert all(headers == [] for headers in checker.unknown_headers.values())
    assert sum(checker.rows_read.values()) == sum(clean_zone.rows.values())


def test_reference_files_follow_the_contract(clean_zone) -> None:
    for name, header in REFERENCE_FILES.items():
        with open(clean_zone.out / "reference" / f"{name}.csv", encoding="utf-8") as f:
            assert tuple(next(csv.reader(f))) == header
    con = duckdb.connect()
    ref = clean_zone.out / "reference"
    for name in ("institutions", "consortia"):
        con.execute(
            f"create view {name} as select * from read_csv('{ref}/{name}.csv', all_varchar=true)"
        )
    malformed = """select count(*) from institutions
                   where not regexp_full_match(institution_code, 'H[0-9]{11}')"""
    assert con.execute(malformed).fetchone()[0] == 0
    twice = """select count(*) from (select 1 from institutions
               group by institution_code having count(*) > 1)"""
    assert con.execute(twice).fetchone()[0] >= 2  # a joiner and a mover: two periods each
    rows = con.execute("select * from consortia").fetchall()
    assert {r[3] for r in rows} == {"441623", "341100"}
    assert {r[2] for r in rows} == {"county_community", "urban_alliance"}
    roles = {r[0] for r in con.execute("select distinct role from institutions").fetchall()}
    assert roles == {"lead", "member", "external"}


CONTRACT_ROW_REASONS = {
    "wrong_source_folder",
    "missing_required_value",
    "invalid_patient_id",
    "unknown_institution",
    "invalid_enum",
    "invalid_date",
    "duplicate_key",
}


def test_every_requested_fault_appears_exactly(faulty_zone) -> None:
    assert set(faulty_zone.faults) == set(REASON_CODES)
    checker = Checker(faulty_zone.out)
    checker.run()
    expected = reported(faulty_zone)
    assert checker.found - expected == set(), "rows failing for a reason that was not injected"
    assert expected - checker.found == set(), "injected faults that do not show as their reason"
    in_contracts = {reason for reason, path, _ in expected if Path(path).stem == "contracts"}
    assert in_contracts == CONTRACT_ROW_REASONS | FILE_REASONS
    for reason in ROW_REASONS:  # roughly at the requested rate
        applicable = {"orphan_reversal": "claims", "out_of_range": "public_health"}
        kind = applicable.get(reason)
        rows = faulty_zone.rows[kind] if kind else sum(faulty_zone.rows.values())
        assert len(faulty_zone.faults[reason]) <= 3 * 0.01 * rows + 5, reason


def test_faulty_zone_has_every_delivery_variant(faulty_zone) -> None:
    files = [f for f in faulty_zone.files if f.kind != "manifest"]
    raw = {
        f.path: (faulty_zone.out / f.path).read_bytes() for f in files if f.path.endswith(".csv")
    }
    assert any(f.path.endswith(".xlsx") and f.rows for f in files)
    assert any(b.startswith(b"\xef\xbb\xbf") for b in raw.values())
    assert any(b"\r\n" in b for b in raw.values())
    gb = [b for b in raw.values() if not b.startswith(b"\xef\xbb\xbf") and _not_utf8(b)]
    assert gb and all(b.decode("gb18030") for b in gb)
    headers = [b.decode("utf-8-sig", errors="replace").split("\n")[0] for b in raw.values()]
    assert any("就诊流水号" in h or "就诊ID" in h for h in headers)
    dropped = {c for cols in faulty_zone.dropped_columns.values() for c in cols}
    assert dropped & NAME_LIKE_COLUMNS and dropped - NAME_LIKE_COLUMNS
    assert any(f.path.endswith("_manifest.json") for f in faulty_zone.files)
    late = faulty_zone.late_files
    first_night = {f.path for f in arrived_by(faulty_zone, START + timedelta(1))}
    assert first_night and not first_night & set(late)
    assert late and all(
        arrival > date.fromisoformat(p[:10]) + timedelta(1) for p, arrival in late.items()
    )
    assert any(Path(p).stem == "contracts" for p in late)


def test_faulty_contracts_show_every_variant(faulty_zone) -> None:
    """Key populations as Chinese labels listed with 、 and as codes listed with , (a quoted
    CSV cell); a terminated contract without its terminated_date; a clinic not yet in the
    registry delivering in a folder of its own code."""
    zone = faulty_zone.out
    registry = Checker(zone).registry
    lookup = KINDS["contracts"].header_lookup()

    @functools.cache
    def records(path: str) -> list[dict[str | None, str]]:
        header, rows = read_table(zone / path)
        columns = [lookup.get(h) for h in header]
        return [dict(zip(columns, row, strict=True)) for row in rows]

    written = [f.path for f in faulty_zone.files if f.kind == "contracts" and f.rows]
    cells = [
        r.get("key_populations") or ""
        for path in written
        if path.endswith(".csv")
        for r in records(path)
    ]
    labels = set(KEY_POPULATIONS.values())
    assert any("、" in v and set(v.split("、")) <= labels for v in cells)
    assert any("," in v and set(v.split(",")) <= set(KEY_POPULATIONS) for v in cells)
    status = KINDS["contracts"].column("status").enum_lookup
    terminated_blank = [
        (path, row)
        for path, row in faulty_zone.faults["missing_required_value"]
        if Path(path).stem == "contracts"
        and status.get(records(path)[row - 1]["status"]) == "terminated"
        and not records(path)[row - 1].get("terminated_date")
    ]
    assert terminated_blank
    unknown = {
        path
        for path, row in faulty_zone.faults["unknown_institution"]
        if Path(path).stem == "contracts" and Path(path).parent.name not in registry
    }
    assert unknown
    for path in unknown:  # every row of such a file, and nothing else in it
        hits = {r for p, r in faulty_zone.faults["unknown_institution"] if p == path}
        assert hits == set(range(1, len(records(path)) + 1))


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, faulty_zone) -> None:
    """Byte-identical for the same seed (and a day does not depend on how many follow it:
    a one-day zone is the first day of the two-day one); another seed gives other files."""
    again = generate_landing_zone(tmp_path / "a", START, 1, "county", seed=5, fault_rate=0.01)
    first_day = [f for f in faulty_zone.files if f.business_date == START]
    assert [(f.path, f.sha256) for f in again.files] == [(f.path, f.sha256) for f in first_day]
    for f in again.files:
        assert (tmp_path / "a" / f.path).read_bytes() == (faulty_zone.out / f.path).read_bytes()
    first_faults = {
        reason: [hit for hit in hits if hit[0].startswith(START.isoformat())]
        for reason, hits in faulty_zone.faults.items()
    }
    assert again.faults == first_faults
    other = generate_landing_zone(tmp_path / "b", START, 1, "county", seed=6, plain=True)
    hashes = {f.path: f.sha256 for f in first_day}
    assert sum(hashes.get(f.path) == f.sha256 for f in other.files) < len(other.files) / 10


def test_redeliver_identical_and_correction(tmp_path: Path, clean_zone) -> None:
    record = next(f for f in clean_zone.files if f.kind == "visits" and f.rows > 3)
    folder = Path(record.path).parent
    shutil.copytree(clean_zone.out / folder, tmp_path / folder)  # leave the fixture as it is
    path = tmp_path / record.path
    before = path.read_bytes()
    assert redeliver(tmp_path, START, record.source_code, "visits") == path
    assert path.read_bytes() == before
    redeliver(tmp_path, START, record.source_code, "visits", correction=True)
    header, rows = read_table(path)
    assert len(rows) == record.rows - 1 and path.read_bytes() != before
    manifest = path.parent / "_manifest.json"
    if manifest.exists():
        entry = json.loads(manifest.read_text())["files"][path.name]
        assert entry["rows"] == record.rows - 1
    xlsx = next(f for f in clean_zone.files if f.path.endswith(".xlsx") and f.rows > 1)
    shutil.copytree(clean_zone.out / Path(xlsx.path).parent, tmp_path / Path(xlsx.path).parent)
    redeliver(tmp_path, START, xlsx.source_code, xlsx.kind, correction=True)
    assert len(read_table(tmp_path / xlsx.path)[1]) == xlsx.rows - 1


# Plausibility, straight from the CSVs --------------------------------------------------------


def _sql(zone: Path, kind: str) -> str:
    """A plain zone's files of one kind: canonical headers in contract order, so no sniffing."""
    columns = ", ".join(f"'{c.name}': 'VARCHAR'" for c in KINDS[kind].columns)
    return (
        f"read_csv('{zone}/*/*/{kind}.csv', header=true, auto_detect=false, "
        f"columns={{{columns}}}, filename=true)"
    )


def test_proportions_are_plausible(plain_week) -> None:
    zone = plain_week.out
    con = duckdb.connect()
    con.execute(
        f"create table inst as from read_csv('{zone}/reference/institutions.csv', all_varchar=true)"
    )
    for table, kind in (
        ("visits", "visits"),
        ("claims", "claims"),
        ("referrals", "referrals"),
        ("ph", "public_health"),
    ):
        con.execute(f"create table {table} as select * from {_sql(zone, kind)}")
    tiers = "('village_clinic','community_station','community_center','township_center','clinic')"
    share = con.execute(f"""
        select i.consortium_id, avg((i.tier in {tiers})::int) as primary_share
        from visits v join (select distinct institution_code, tier, consortium_id from inst
                            where role <> 'external') i using (institution_code)
        where visit_type <> 'inpatient' group by 1""").fetchall()
    assert len(share) == 3 and all(0.55 <= s <= 0.75 for _, s in share), share
    inpatient = con.execute("""
        select insured_region_code[1:4] = '3411' as chuzhou,
               avg(case when insured_region_code[1:4] = '3411'
                        then institution_code[2:5] = '3411'
                        else institution_code[2:7] = insured_region_code end::int)
        from claims where visit_type = 'inpatient' and record_type = 'settle'
          and (insured_region_code = '441623' or insured_region_code[1:4] = '3411')
          group by 1""").fetchall()
    assert len(inpatient) == 2 and all(0.78 <= s <= 0.93 for _, s in inpatient), inpatient
    money = con.execute("""select count(*) filter (where abs(fund_paid::decimal(18,2)
        + personal_paid::decimal(18,2) - total_amount::decimal(18,2)) > 0.001),
        avg((record_type = 'reverse')::int) filter (where settlement_date = '2024-03-08')
        from claims""").fetchone()
    assert money[0] == 0 and 0.008 <= money[1] <= 0.025, money
    stays = con.execute("""select count(*) filter (where visit_date >= discharge_date
        or discharge_date <> split_part(filename, '/', -3))
        from visits where visit_type = 'inpatient'""")
    assert stays.fetchone()[0] == 0
    directions = con.execute("""
        with latest as (select referral_id, arg_max(status, split_part(filename, '/', -3)) status,
                        any_value(from_institution_code) f, any_value(to_institution_code) t
                        from referrals group by 1),
        lv as (select distinct institution_code, case when tier in ('village_clinic',
               'community_station','clinic') then 1 when tier in ('township_center',
               'community_center') then 2 when tier in ('county_hospital','public_health_agency')
               then 3 else 4 end level from inst)
        select sum((b.level > a.level)::int), sum((b.level < a.level)::int),
               count(distinct status)
        from latest join lv a on a.institution_code = f join lv b on b.institution_code = t
        where status in ('accepted', 'completed')""").fetchone()
    up, down, _ = directions
    assert up > down > 0.2 * up, directions
    assert con.execute("select count(distinct status) from referrals").fetchone()[0] == 5
    control = con.execute("""
        with last as (select patient_id, service_item,
            arg_max(systolic_bp::int < 140 and diastolic_bp::int < 90, service_date) bp_ok,
            arg_max(fasting_glucose::double < 7.0, service_date) glu_ok
            from ph where (systolic_bp is not null and diastolic_bp is not null)
                       or fasting_glucose is not null group by 1, 2)
        select avg(bp_ok::int) filter (where service_item = 'hypertension_followup'),
               avg(glu_ok::int) filter (where service_item = 'diabetes_followup') from last""")
    bp, glucose = control.fetchone()
    assert 0.6 <= bp <= 0.75 and 0.55 <= glucose <= 0.7, (bp, glucose)


def test_public_health_targets_fit_the_volume(plain_week) -> None:
    """A year at this week's pace lands near each item's target (targets count people;
    people served in a year = cohort x (1 - e^-f), records = cohort x f)."""
    con = duckdb.connect()
    zone = plain_week.out
    rows = con.execute(f"""
        with t as (select service_item, sum(target_count::int) target
                   from read_csv('{zone}/reference/public_health_targets.csv') group by 1),
             r as (select service_item, count(*) n from {_sql(zone, "public_health")} group by 1)
        select service_item, n, target from t join r using (service_item)""").fetchall()
    assert len(rows) == len(PH_ITEMS)
    # Weekdays are busier than weekends: scale by the days' share of an average week.
    days = sum(DOW_PUBLIC_HEALTH[(START + timedelta(k)).weekday()] for k in range(DAYS))
    for item, n, target in rows:
        freq = PH_ITEMS[item][1]
        expected = target * freq / (1 - math.exp(-freq)) * days / 365
        assert 0.75 <= n / expected <= 1.3, (item, n, expected)


def test_command_line_writes_reference_and_report(tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    args = ["--out", str(tmp_path / "zone"), "--start", "2024-03-04", "--days", "0"]
    assert main([*args, "--scale", "city", "--report", str(report)]) == 0
    written = json.loads(report.read_text("utf-8"))
    assert written["scale"] == "city" and written["rows"]["contracts"] == 0
    assert set(written["contract_events"]) == {
        "signed",
        "second_contract",
        "renewed_new_id",
        "renewed_same_id",
        "terminated",
        "opening",
    }
    assert (tmp_path / "zone" / "reference" / "institutions.csv").exists()
    assert "wrote 0 files" in capsys.readouterr().out
    # A larger scale has a consortium of every kind, the seed consortia as they were.
    with open(tmp_path / "zone" / "reference" / "consortia.csv", encoding="utf-8") as f:
        consortia = list(csv.DictReader(f))
    assert {c["kind"] for c in consortia} == set(CONSORTIUM_KINDS)
    seeds = {c["consortium_id"]: c["kind"] for c in consortia[:3]}
    assert seeds == {
        "YGT441623": "county_community",
        "YLT34110001": "urban_alliance",
        "YLT34110002": "urban_alliance",
    }
    with open(tmp_path / "zone" / "reference" / "institutions.csv", encoding="utf-8") as f:
        registry = list(csv.DictReader(f))
    networks = {
        c["consortium_id"]
        for c in consortia
        if c["kind"] in ("specialty_alliance", "remote_network")
    }
    for network in networks:  # members keep their own consortium too
        members = {r["institution_code"] for r in registry if r["consortium_id"] == network}
        elsewhere = {
            r["institution_code"]
            for r in registry
            if r["institution_code"] in members and r["consortium_id"] not in networks
        }
        assert len(members) >= 4 and elsewhere


# Family-doctor contracts and the reference data behind them -----------------------------------


def test_contract_reference_data(clean_zone) -> None:
    ref = clean_zone.out / "reference"
    con = duckdb.connect()
    for name in ("institutions", "service_population", "work_point_weights"):
        con.execute(
            f"create view {name} as select * from read_csv('{ref}/{name}.csv', all_varchar=true)"
        )
    tcm = con.execute("select name, coalesce(tcm, '') from institutions").fetchall()
    assert {v for _, v in tcm} <= {*TCM_FLAG, ""} and {"1", "是", "0", ""} <= {v for _, v in tcm}
    for name, value in tcm:
        assert TCM_FLAG.get(value, False) == ("中医院" in name or "中西医结合医院" in name), name
    weights = dict(
        con.execute("select service_item, points::double from work_point_weights").fetchall()
    )
    assert set(weights) == set(SERVICE_ITEMS) and all(p > 0 for p in weights.values())
    primary = {
        code
        for code, tier in con.execute("select institution_code, tier from institutions").fetchall()
        if tier in PRIMARY_TIERS
    }
    groups = con.execute("""select institution_code, year, map_from_entries(list((population_group,
        population::bigint))) from service_population group by all""").fetchall()
    assert {code for code, _, _ in groups} == primary and {y for _, y, _ in groups} == {"2024"}
    for code, _, population in groups:
        assert set(population) == set(POPULATION_GROUPS), code
        key = [population[g] for g in KEY_POPULATIONS]
        assert population["resident"] > population["key_population"] >= max(key), code
        assert population["key_population"] <= sum(key)
        assert population["ltc"] < 0.01 * population["resident"]
        assert 0.1 <= population["elderly"] / population["resident"] <= 0.2


def _contract_table(con, zone: Path) -> None:
    columns = ", ".join(f"'{c.name}': 'VARCHAR'" for c in KINDS["contracts"].columns)
    con.execute(f"""create or replace table contracts as
        select *, split_part(filename, '/', -3)::date as business_date,
               split_part(filename, '/', -2) as folder
        from read_csv('{zone}/*/*/contracts.csv', header=true, auto_detect=false,
                      columns={{{columns}}}, filename=true)""")


def test_contracts_are_plausible(plain_week) -> None:
    zone = plain_week.out
    con = duckdb.connect()
    _contract_table(con, zone)
    con.execute(
        f"create table inst as from read_csv('{zone}/reference/institutions.csv', all_varchar=true)"
    )
    con.execute(
        f"create table sp as from read_csv('{zone}/reference/service_population.csv', all_varchar=true)"
    )
    # Primary-care institutions only, nearly all of them; a few new contracts each per day.
    tiers = "(" + ", ".join(f"'{t}'" for t in sorted(PRIMARY_TIERS)) + ")"
    signers, new_per_day, wrong_tier = con.execute(f"""
        select count(distinct institution_code),
               count(*) filter (where sign_date::date = business_date)
                   / count(distinct business_date) / count(distinct institution_code),
               count(*) filter (where institution_code not in
                   (select institution_code from inst where tier in {tiers}))
        from contracts""").fetchone()
    primary = con.execute(
        f"select count(distinct institution_code) from inst where tier in {tiers}"
    ).fetchone()[0]
    assert 0.9 * primary <= signers <= primary and wrong_tier == 0  # a clinic may sign none
    assert 1.0 <= new_per_day <= 6.0, new_per_day
    # Concentrated on key populations, elderly and the chronically ill first.
    shares = con.execute("""select avg((key_populations is not null)::int),
        avg(contains(key_populations, 'elderly')::int), avg(contains(key_populations, 'hypertension')::int),
        avg(contains(key_populations, 'diabetes')::int), avg(contains(key_populations, 'ltc')::int)
        from contracts""").fetchone()
    keyed, elderly, hypertension, diabetes, ltc = shares
    assert keyed >= 0.7 and elderly >= 0.4 and hypertension >= 0.15 and diabetes >= 0.04, shares
    assert ltc < 0.05
    # Age-bound groups agree with the birth date in the resident ID on the signing day.
    wrong_age = con.execute("""select count(*) filter (where contains(key_populations, 'elderly')
            <> (date_diff('year', strptime(patient_id[7:14], '%Y%m%d'), sign_date::date)
                - (strftime(sign_date::date, '%m%d') < patient_id[11:14])::int >= 65))
        from contracts""").fetchone()[0]
    assert wrong_age == 0
    # One-year spans; renewals keeping the id run two; terminations before the business date.
    spans = con.execute("""select
        count(*) filter (where sign_date::date = business_date and (start_date::date < sign_date::date
            or end_date::date <> start_date::date + interval 1 year - interval 1 day)),
        count(*) filter (where sign_date::date = business_date and start_date::date > business_date),
        count(*) filter (where sign_date::date < business_date and status = 'active'
            and end_date::date = start_date::date + interval 2 year - interval 1 day),
        count(*) filter (where status = 'terminated' and (terminated_date::date > business_date
            or terminated_date::date < sign_date::date)),
        count(*) filter (where status = 'terminated' and day(terminated_date::date) between 2 and 27),
        count(*) filter (where status = 'active' and terminated_date is not null)
        from contracts""").fetchone()
    bad_new, later_start, renewed_same_id, bad_terminated, mid_month, stray = spans
    assert bad_new == 0 and bad_terminated == 0 and stray == 0, spans
    assert later_start > 0 and renewed_same_id > 0 and mid_month > 0, spans
    events = plain_week.contract_events
    assert renewed_same_id >= events["renewed_same_id"]  # and some renewed before the zone opened
    assert min(events.values()) > 0, events
    # Contract ids: unique per file and across the zone, except a contract delivered again.
    repeated = con.execute("""select count(*) from (select contract_id from contracts
        group by 1 having count(distinct business_date) <> count(*))""").fetchone()[0]
    assert repeated == 0
    # A few people with two active contracts at two institutions.
    twice = con.execute("""select count(*) from (select patient_id from contracts where status = 'active'
        group by 1 having count(distinct institution_code) > 1)""").fetchone()[0]
    assert twice >= 3
    # Team codes of the institution; 1+1+1 hospitals in the Chuzhou alliances only.
    teams = con.execute("""select count(*) filter (where team_code is not null
            and not regexp_full_match(team_code, 'JT' || institution_code[2:] || '[0-9]{2}')),
        avg((team_code is not null)::int) from contracts""").fetchone()
    assert teams[0] == 0 and teams[1] > 0.9
    hospitals = con.execute("""
        with named as (select institution_code, string_split(hospital_codes, ';') codes
                       from contracts where hospital_codes is not null)
        select count(*) filter (where institution_code[2:5] <> '3411'),
               count(*) filter (where len(codes) = 2),
               count(*) filter (where len(codes) = 2 and codes[1] in (select institution_code from inst)
                   and (select tier from inst where institution_code = codes[2] limit 1) = 'city_hospital'),
               count(*) filter (where codes[1] not in (select institution_code from inst)
                   and regexp_full_match(codes[1], 'H3411[0-9]{7}'))
        from named""").fetchone()
    county_named, two, district_city, national = hospitals
    assert county_named == 0 and district_city > 0.7 * two and national > 0, hospitals
    chuzhou = con.execute(
        "select avg((hospital_codes is not null)::int) from contracts where institution_code[2:5] = '3411'"
    ).fetchone()[0]
    assert 0.75 <= chuzhou <= 0.95, chuzhou
    # The people are the world's: some of them show up in the other kinds this week.
    linked = con.execute(f"""select count(distinct patient_id) from contracts where patient_id in (
        select patient_id from {_sql(zone, "public_health")} union all
        select patient_id from {_sql(zone, "visits")})""").fetchone()[0]
    assert linked >= 20
    # The first day opens with each institution's contracts of the year before (存量): the people
    # signed are 30-80% of the key populations; a few of those contracts are terminated.
    opening = con.execute(f"""
        select count(*), count(*) filter (where status = 'terminated'),
               count(*) filter (where sign_date::date < date '{START}' - interval 365 day)
        from contracts where business_date = date '{START}' and sign_date::date < business_date
        """).fetchone()
    assert opening[0] == events["opening"] and 0 < opening[1] < 0.05 * opening[0]
    assert opening[2] == 0
    ratios = con.execute(f"""
        with signed as (select institution_code[2:5] area, count(distinct patient_id) n
                        from contracts where business_date = date '{START}'
                          and sign_date::date < business_date and status = 'active'
                          and key_populations is not null group by 1),
             key as (select institution_code[2:5] area, sum(population::bigint) k from sp
                     where population_group = 'key_population' group by 1)
        select area, n / k from signed join key using (area)""").fetchall()
    assert len(ratios) == 2 and all(0.3 <= r <= 0.8 for _, r in ratios), ratios
    # Half of a primary-care institution's outpatient visits are by its own signed residents.
    own = con.execute(f"""
        with signed as (select distinct institution_code, patient_id from contracts
                        where business_date = date '{START}' and status = 'active')
        select avg((s.patient_id is not null)::int)
        from {_sql(zone, "visits")} v join inst i using (institution_code)
        left join signed s using (institution_code, patient_id)
        where i.tier in {tiers} and v.visit_type <> 'inpatient'""").fetchone()[0]
    assert 0.4 <= own <= 0.65, own


def test_contract_lifecycle_over_a_year() -> None:
    """Over more than a year, contracts signed in the window are delivered again: renewed with
    the same id and a new end_date, terminated, or followed by a new contract of the same
    person starting the day after the old one ends. Every delivery passes the record-date rule."""
    start, days = date(2024, 1, 1), 400
    world = build_world("county", start, days, 2)
    wa = WorldArrays(world)
    book = ContractBook(epoch_day(start), epoch_day(start + timedelta(days - 1)))
    parts = []
    for k in range(days):
        day = start + timedelta(k)
        rec = contracts(np.random.default_rng([2, k]), wa, day, book)
        c = rec.cols
        parts.append(
            pa.table(
                {
                    "business_day": np.full(len(rec), epoch_day(day)),
                    "contract_id": c["contract_id"],
                    "patient_id": c["patient_id"],
                    "inst": rec.source,
                    "sign_day": c["sign_date"],
                    "start_day": c["start_date"],
                    "end_day": c["end_date"],
                    "terminated": c["status"] == TERMINATED,
                    "terminated_day": c["terminated_date"],
                }
            )
        )
    con = duckdb.connect()
    con.register("deliveries", pa.concat_tables(parts))
    con.execute("create table c as from deliveries")
    bad = con.execute(f"""select count(*) filter (where sign_day > business_day
            or sign_day < business_day - {MAX_RECORD_AGE_DAYS} or end_day < start_day
            or (terminated and (terminated_day > business_day or terminated_day < 0))),
        count(*) - count(distinct (business_day, contract_id)) from c""").fetchone()
    assert bad == (0, 0)
    first_day = epoch_day(start)
    lifecycle = con.execute(f"""
        with first as (select * from c where sign_day = business_day and sign_day >= {first_day}),
             later as (select c.* from c join first f using (contract_id)
                       where c.business_day > f.business_day)
        select
            (select count(*) from later join first f using (contract_id)
             where not later.terminated and later.end_day > f.end_day and later.sign_day = f.sign_day),
            (select count(*) from later join first f using (contract_id)
             where later.terminated and later.end_day = f.end_day),
            (select count(*) from first a join first b on a.patient_id = b.patient_id
             and a.inst = b.inst and b.sign_day > a.sign_day and b.start_day = a.end_day + 1)
        """).fetchone()
    renewed, terminated, followed = lifecycle
    assert renewed > 100 and terminated > 50 and followed > 100, lifecycle


def test_contract_faults_trigger_exactly_their_reason_in_every_variant(tmp_path: Path) -> None:
    """Each contract fault editor, applied to every row of a day (labels and separators mixed),
    makes each row fail for exactly its reason, and produces every variant of it."""
    day = START
    world = build_world("city", day, 1, 4)
    write_reference(tmp_path, world, day, 1, 4)
    wa = WorldArrays(world)
    rec = contracts(np.random.default_rng(4), wa, day, ContractBook(epoch_day(day), epoch_day(day)))
    n = len(rec)
    labels = np.arange(n) % 2 == 1
    separators = (np.arange(n) // 2 % 3).astype(np.int8)
    cols = to_strings(rec, world, labels, (np.arange(n) % 3).astype(np.int8), separators)
    terminated = rec.cols["status"] == TERMINATED
    flags = {"terminated": terminated, "separator": separators}
    file_of_row = np.unique(rec.source, return_inverse=True)[1]
    kind, checker = KINDS["contracts"], Checker(tmp_path)
    clean = {c: v.to_pylist() for c, v in cols.items()}
    others = [i.code for i in world.insts if i.delivers]
    changed: dict[str, Counter] = {}
    for reason in sorted(CONTRACT_ROW_REASONS - {"duplicate_key"}):
        batch = faults.Batch(kind, day, dict(cols), file_of_row, labels, flags=flags)
        edits = faults._Edits()
        faults._EDITORS[reason](batch, np.arange(n), np.random.default_rng(1), edits, others)
        edits.apply(batch)
        edited = {c: v.to_pylist() for c, v in batch.cols.items()}
        changed[reason] = Counter()
        for row in range(n):
            record = {c: edited[c][row] or "" for c in edited}
            source = clean["institution_code"][row]
            assert checker.row_reason(kind, record, source, day) == reason, (reason, record)
            for c in edited:
                if edited[c][row] != clean[c][row]:
                    changed[reason][c, _variant(c, edited[c][row], day)] += 1
    assert (
        checker.row_reason(
            kind, {c: clean[c][0] or "" for c in clean}, clean["institution_code"][0], day
        )
        is None
    )
    assert {c for c, _ in changed["missing_required_value"]} == {
        *faults.BLANKABLE["contracts"],
        "terminated_date",
    }
    assert {c for c, _ in changed["unknown_institution"]} == {"hospital_codes"}
    assert set(changed["invalid_enum"]) >= {
        ("status", "status"),
        ("key_populations", "label after 、"),
        ("key_populations", "code after ,"),
        ("hospital_codes", "three"),
    }
    assert set(changed["invalid_date"]) >= {
        ("sign_date", "later"),
        ("sign_date", "too old"),
        ("sign_date", "unparseable"),
        ("end_date", "before start"),
        ("start_date", "unparseable"),
        ("terminated_date", "later"),
    }


def _variant(column: str, value: str | None, day: date) -> str:
    """What kind of change an editor made to a cell (for the census of variants above)."""
    if value is None:
        return "blank"
    if column == "status":
        return "status"
    if column == "key_populations":
        bad_labels = {label for _, label in faults.BAD_KEY_POPULATIONS}
        separator = next((sep for sep in ";,、" if sep in value), "")
        item = value.rsplit(separator, 1)[-1] if separator else value
        return f"{'label' if item in bad_labels else 'code'} after {separator or 'nothing'}"
    if column == "hospital_codes":
        return "three" if value.count(";") == 2 else "malformed"
    parsed = parse_date(value)
    if parsed is None:
        return "unparseable"
    if parsed > day:
        return "later"
    if parsed < day - timedelta(MAX_RECORD_AGE_DAYS):
        return "too old"
    return "before start"
