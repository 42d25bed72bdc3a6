"""The GX suites, the pseudonym and the contract agree with each other."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest
from landing_kit import TEST_KEY, resident_id

from ingest.contract import KINDS, REASON_CODES
from ingest.expectations import SUITE_DIR, ContractViolationError, suite_json, validate_loaded
from ingest.identity import is_valid_id
from ingest.pseudonym import PseudonymKey, sql_hmac
from ingest.validation import checks


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_committed_suites_are_generated_from_the_contract(kind):
    committed = json.loads((SUITE_DIR / f"{kind}.json").read_text())
    generated = json.loads(json.dumps(suite_json(KINDS[kind]), sort_keys=True))
    assert committed == generated, "run `make suites` and commit expectations/"


def test_suite_rejects_loaded_rows_that_break_the_contract():
    row = {
        "business_date": dt.date(2026, 3, 10),
        "source_code": "H1",
        "file_sha256": "f" * 64,
        "file_name": "visits.csv",
        "_loaded_at": dt.datetime(2026, 3, 11, 2, 0),
        "row_number": 1,
        "visit_id": "v1",
        "institution_code": "H1",
        "patient_key": "a" * 64,
        "sex": "1",
        "birth_date": dt.date(1980, 1, 1),
        "residence_region_code": "441623",
        "visit_type": "outpatient",
        "visit_date": dt.date(2026, 3, 10),
        "discharge_date": None,
        "department": None,
        "diagnosis_code": None,
        "total_cost": 10.0,
    }
    validate_loaded(KINDS["visits"], pa.Table.from_pylist([row]), dt.date(2026, 3, 10))
    bad = [row, {**row, "visit_id": "v2", "visit_type": "inpatient"}]  # inpatient without discharge
    with pytest.raises(ContractViolationError, match="discharge_date"):
        validate_loaded(KINDS["visits"], pa.Table.from_pylist(bad), dt.date(2026, 3, 10))


def test_row_checks_follow_reason_precedence_and_cover_every_row_reason():
    order = {r: i for i, r in enumerate(REASON_CODES)}
    covered = set()
    for kind in KINDS.values():
        found = [c.reason for c in checks(kind)]
        assert found == sorted(found, key=order.get)
        covered |= set(found)
    # File-level reasons, duplicate_key and orphan_reversal are decided outside the row checks.
    assert covered == set(REASON_CODES) - {
        "unreadable_file",
        "missing_required_column",
        "manifest_mismatch",
        "duplicate_key",
        "orphan_reversal",
    }


@pytest.mark.parametrize(
    "key", [TEST_KEY, b"k" * 100]
)  # long keys are hashed first, as RFC 2104 says
def test_sql_hmac_equals_python_hmac(key):
    pk = PseudonymKey(key)
    ids = [resident_id(seq=f"{i:03d}") for i in range(20)]
    con = duckdb.connect()
    con.register("ids", pa.table({"patient_id": ids}))
    got = con.sql(f"SELECT {sql_hmac('patient_id')} FROM ids", params=pk.sql_params()).fetchall()
    assert [g[0] for g in got] == [pk.python(i) for i in ids]
    assert "k" * 10 not in repr(pk)


def test_resident_id_check_digit():
    assert is_valid_id("11010519491231002X")
    assert not is_valid_id("110105194912310021")
    assert all(is_valid_id(resident_id(seq=f"{i:03d}")) for i in range(50))
