"""The `kpi` command's own behaviour: one-line errors, the environment, output formats."""

from __future__ import annotations

import json

import duckdb
import pytest

from cli.main import main


@pytest.fixture()
def warehouse(tmp_path):
    path = tmp_path / "kpi.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE kpi_monthly AS SELECT 'LP' AS consortium_id, DATE '2024-02-01' AS month,"
            " 0.5::DOUBLE AS value UNION ALL SELECT 'CZ', DATE '2024-02-01', NULL"
        )
        con.execute(
            "CREATE TABLE ingest_files AS SELECT now() AS ingested_at, DATE '2024-02-01' AS"
            " business_date, 'LPT' AS source_code, 'visits' AS kind, 'visits.csv' AS file_name,"
            " 'loaded' AS status, 3 AS rows_read, 3 AS rows_loaded, 0 AS rows_quarantined,"
            " NULL AS dropped_columns"
        )
    return path


def test_query_of_a_missing_warehouse_is_one_line(tmp_path, capsys):
    assert main(["query", "--warehouse", str(tmp_path / "none.duckdb"), "SELECT 1"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"kpi query: no published warehouse at {tmp_path / 'none.duckdb'}"


def test_query_and_status_read_the_warehouse_from_the_environment(warehouse, monkeypatch, capsys):
    monkeypatch.setenv("KPI_WAREHOUSE", str(warehouse))
    assert main(["query", "--format", "csv", "SELECT * FROM kpi_monthly ORDER BY 1"]) == 0
    assert (
        capsys.readouterr().out == "consortium_id,month,value\nCZ,2024-02-01,\nLP,2024-02-01,0.5\n"
    )
    main(["status"])  # parses without --warehouse
    assert "Recent nights" in capsys.readouterr().out


def test_query_as_json_and_a_bad_query(warehouse, capsys):
    sql = "SELECT * FROM kpi_monthly ORDER BY 1"
    assert main(["query", "--warehouse", str(warehouse), "--format", "json", sql]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"consortium_id": "CZ", "month": "2024-02-01", "value": None},
        {"consortium_id": "LP", "month": "2024-02-01", "value": 0.5},
    ]
    assert main(["query", "--warehouse", str(warehouse), "SELECT nope FROM kpi_monthly"]) == 1
    assert capsys.readouterr().err.startswith("kpi query: Binder Error")


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("kpi ")


def test_query_csv_neutralises_formulas(warehouse, capsys):
    sql = (
        "SELECT '=HYPERLINK(\"x\")' AS a, '+1' AS b, '-' AS c, '@SUM(A1)' AS d, 'ok' AS e, -5 AS f"
    )
    assert main(["query", "--warehouse", str(warehouse), "--format", "csv", sql]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == '"\'=HYPERLINK(""x"")",\'+1,\'-,\'@SUM(A1),ok,-5'


def test_an_unknown_engine_is_one_line_and_touches_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KPI_PSEUDONYM_KEY", "a-test-key-of-enough-length-0123")
    warehouse = tmp_path / "kpi.duckdb"
    args = ["run", "--landing", str(tmp_path), "--warehouse", str(warehouse)]
    assert main([*args, "--engine", "trino"]) == 2
    assert "unknown engine 'trino': one of duckdb, spark" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
