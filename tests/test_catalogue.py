"""The catalogue written in more than one place stays one catalogue.

`ingest/contract.py` is the one definition of the extract kinds, institution tiers, service
items (codes and Chinese labels), reason codes, roles and consortium kinds; the seed
`institution_tiers` is the one place of each tier's referral level and primary-care flag. Every
other copy is compared with them here: the dbt seeds and sources, the `accepted_values` tests of
the dbt yml files, the descriptions that list tiers, the dashboard's labels, the synthetic
generator and the benchmark's peers.
"""

from __future__ import annotations

import ast
import csv
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from dashboard import labels
from ingest import contract
from synthetic import generate, records, world

REPO = Path(__file__).resolve().parent.parent
DBT = REPO / "dbt_project"
SEEDS = DBT / "seeds"


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def dbt_yml() -> dict[Path, dict]:
    return {
        path: yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for folder in (DBT / "models", SEEDS)
        for path in sorted(folder.rglob("*.yml"))
    }


def seed_tiers() -> dict[str, dict[str, str]]:
    rows = read_seed("institution_tiers")
    assert len(rows) == len({r["tier"] for r in rows}), "a tier twice in institution_tiers.csv"
    return {r["tier"]: r for r in rows}


def seed_levels() -> dict[str, int]:
    return {tier: int(row["level"]) for tier, row in seed_tiers().items()}


def seed_primary_care() -> set[str]:
    flags = {tier: row["is_primary_care"] for tier, row in seed_tiers().items()}
    assert set(flags.values()) <= {"true", "false"}, flags
    return {tier for tier, flag in flags.items() if flag == "true"}


# --- tiers, levels, primary care -----------------------------------------------------------


def test_the_tier_seed_holds_the_contract_tiers():
    assert len(contract.TIERS) == len(set(contract.TIERS)) == 9
    assert set(seed_tiers()) == set(contract.TIERS)
    assert set(seed_levels().values()) == {1, 2, 3, 4}
    assert seed_primary_care() and seed_primary_care() < set(contract.TIERS)


def test_dashboard_tier_labels_are_the_seed_names_in_level_order():
    assert set(labels.TIERS) == set(contract.TIERS)
    seed = seed_tiers()
    for tier, names in labels.TIERS.items():
        # dim_institution publishes the seed's name_zh; the dashboard must say the same
        assert names == (seed[tier]["name_zh"], seed[tier]["name_en"]), tier
    levels = [seed_levels()[tier] for tier in labels.TIERS]
    assert levels == sorted(levels), "the dashboard lists tiers by referral level"
    assert not set(labels.TIERS_EXTRA) & set(contract.TIERS)
    assert [*labels.TIERS, *labels.TIERS_EXTRA] == labels.TIER_ORDER


def test_dashboard_levels_are_the_seed_levels():
    assert set(labels.LEVELS) == set(seed_levels().values())
    assert all(zh and en for zh, en in labels.LEVELS.values())


def test_the_generator_uses_the_seed_levels_and_primary_care_flags():
    assert seed_levels() == world.LEVEL
    assert seed_primary_care() == world.PRIMARY_TIERS
    assert set(records._TIER_PARAMS) == set(contract.TIERS)


def _string_set(node: ast.expr) -> set[str]:
    assert isinstance(node, ast.Set), ast.dump(node)
    return {element.value for element in node.elts if isinstance(element, ast.Constant)}


def test_the_benchmark_peers_count_the_seed_primary_care_tiers():
    """bench/night.py's plain-DuckDB and pandas peers compute primary-care visit share on their
    own (they share no code with the night), so their tier lists are copies."""
    tree = ast.parse((REPO / "bench" / "night.py").read_text(encoding="utf-8"))
    limit_sql = next(
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "LIMIT_SQL" for t in node.targets)
    )
    in_list = re.search(r"i\.tier IN \(([^)]*)\)", limit_sql)
    assert in_list, "LIMIT_SQL no longer filters primary-care tiers with `i.tier IN (...)`"
    assert set(re.findall(r"'([a-z_]+)'", in_list.group(1))) == seed_primary_care()
    run_pandas = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "run_pandas"
    )
    primary = [
        node.value
        for node in ast.walk(run_pandas)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "primary" for t in node.targets)
    ]
    assert len(primary) == 1, "run_pandas no longer names its primary-care tiers `primary`"
    assert _string_set(primary[0]) == seed_primary_care()


def _tier_names(text: str) -> list[str]:
    """The tier codes a description lists: known tiers and any other snake_case code."""
    return [w for w in re.findall(r"[a-z][a-z_]*[a-z]", text) if w in contract.TIERS or "_" in w]


def test_dim_institution_describes_the_tiers_and_the_primary_care_flag():
    models = {
        model["name"]: model
        for doc in dbt_yml().values()
        for model in doc.get("models", [])
        if model["name"] == "dim_institution"
    }
    columns = {c["name"]: c["description"] for c in models["dim_institution"]["columns"]}
    tiers = _tier_names(columns["tier"])
    assert sorted(tiers) == sorted(contract.TIERS), columns["tier"]
    primary = _tier_names(columns["is_primary_care"])
    assert sorted(primary) == sorted(seed_primary_care()), columns["is_primary_care"]


# --- service items -------------------------------------------------------------------------


def test_the_service_item_seed_is_the_contract_list():
    rows = read_seed("service_items")
    assert len(rows) == len({r["service_item"] for r in rows}) == 13
    assert {r["service_item"]: r["name_zh"] for r in rows} == contract.SERVICE_ITEMS
    assert sorted(int(r["display_order"]) for r in rows) == list(range(1, len(rows) + 1))
    # extracts may carry the label instead of the code: a label must name one item
    assert len(set(contract.SERVICE_ITEMS.values())) == len(contract.SERVICE_ITEMS)


def test_the_public_health_kind_takes_its_service_items_from_the_catalogue():
    column = contract.KINDS["public_health"].column("service_item")
    assert column.labels == contract.SERVICE_ITEMS
    assert tuple(world.PH_ITEMS) == tuple(contract.SERVICE_ITEMS)


def test_the_readme_kpi_table_is_the_registry():
    """The README's KPI table lists every registry KPI, in order, with its name and direction."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = [
        line.split("|")[1:6]
        for line in readme.splitlines()
        if line.startswith("| ") and "`" in line and line.split("|")[1].strip().isdigit()
    ]
    rows = sorted(read_seed("kpi_registry"), key=lambda r: int(r["display_order"]))
    assert [(c[1].strip().strip("`"), c[2].strip(), c[3].strip()) for c in listed] == [
        (r["kpi_id"], r["name_zh"], f"{r['unit']}, {r['better']}") for r in rows
    ]


def test_the_population_group_seed_is_the_contract_list():
    rows = read_seed("population_groups")
    assert tuple(r["population_group"] for r in rows) == contract.POPULATION_GROUPS
    keys = {r["population_group"]: r["name_zh"] for r in rows if r["is_key_population"] == "true"}
    assert keys == contract.KEY_POPULATIONS
    assert contract.KINDS["contracts"].column("key_populations").labels == contract.KEY_POPULATIONS
    # a label must name one key population
    assert len(set(contract.KEY_POPULATIONS.values())) == len(contract.KEY_POPULATIONS)


# --- reason codes --------------------------------------------------------------------------


def test_every_reason_code_has_a_dashboard_label_and_every_label_a_reason():
    assert len(contract.REASON_CODES) == len(set(contract.REASON_CODES)) == 13
    assert set(labels.REASONS) == set(contract.REASON_CODES)
    assert all(zh and en for zh, en in labels.REASONS.values())
    assert len({zh for zh, _ in labels.REASONS.values()}) == len(labels.REASONS)


def test_the_generator_injects_the_contract_file_reasons():
    assert set(contract.REASON_CODES) > contract.FILE_REASONS
    assert set(generate.FILE_FAULTS) == contract.FILE_REASONS


# --- kinds and sources ---------------------------------------------------------------------


def test_kinds_agree_across_registry_dashboard_and_sources():
    assert {r["extract_kind"] for r in read_seed("kpi_registry")} <= set(contract.KINDS)
    assert list(labels.KINDS) == list(contract.KINDS)
    sources = {
        source["name"]: {table["name"] for table in source["tables"]}
        for doc in dbt_yml().values()
        for source in doc.get("sources", [])
    }
    # every kind is a table of the lake (beside the audit, the quarantine and load bookkeeping)
    assert set(contract.KINDS) <= sources["lake"]
    assert {"ingest_files", "quarantine_rows"} <= sources["lake"]
    assert sources["reference"] == set(contract.REFERENCE_FILES)


# --- accepted_values in the dbt yml files --------------------------------------------------

# Columns whose values the catalogue defines, whatever the model.
CATALOGUE: dict[str, set[str]] = {
    "kind": set(contract.KINDS),
    "extract_kind": set(contract.KINDS),
    "tier": set(contract.TIERS),
    "institution_tier": set(contract.TIERS),
    "service_item": set(contract.SERVICE_ITEMS),
    "reason": set(contract.REASON_CODES),
    "role": set(contract.ROLES),
    "consortium_kind": set(contract.CONSORTIUM_KINDS),
    "sex": set(contract.SEX.values()),
    "level": {str(level) for level in seed_levels().values()},
}
# Columns renamed from a contract column in the warehouse.
RENAMED = {"latest_status": "status"}
# accepted_values on values the warehouse itself defines (not a copy of the catalogue).
NOT_CATALOGUED = {
    "better": "KPI direction, defined by the kpi_registry seed",
    "direction": "referral direction, derived from the levels in int_referrals_directed",
    "code_scheme": "derived from the institution code in int_institution_periods_unioned",
    "region_level": "derived from the region code's digits in dim_region",
    "status": "ingest audit status of a file (ingest_files), written by the ingest",
    "file_status": "ingest audit status of a file (stg_lake__ingest_files)",
    "severity": "data_quality_findings: refused or warning",
}


def accepted_values_tests(docs: dict[Path, dict]) -> list[tuple[str, str, str, list]]:
    """(yml file, model or seed, column, values) of every accepted_values test."""
    found = []
    for path, doc in docs.items():
        for resource in (*doc.get("models", []), *doc.get("seeds", [])):
            for column in resource.get("columns") or []:
                for test in column.get("data_tests") or column.get("tests") or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = spec.get("arguments", spec)["values"]
                        name = path.relative_to(REPO).as_posix()
                        found.append((name, resource["name"], column["name"], values))
    return found


def expected_values(model: str, column: str) -> set[str] | None:
    """The catalogue's values for a column, or None when the catalogue does not define it."""
    for kind in contract.KINDS.values():
        if kind.name in model:
            name = RENAMED.get(column, column)
            enums = {c.name: c for c in kind.columns if c.type == "enum"}
            if name in enums:
                return set(enums[name].labels)
    return CATALOGUE.get(column)


def accepted_values_drift(tests: list[tuple[str, str, str, list]]) -> list[str]:
    problems = []
    for path, model, column, values in tests:
        expected = expected_values(model, column)
        given = [str(v) for v in values]
        if expected is None:
            if column not in NOT_CATALOGUED:
                problems.append(f"{path}: {model}.{column}: not judged by the catalogue test")
        elif len(given) != len(set(given)) or set(given) != expected:
            missing, extra = sorted(expected - set(given)), sorted(set(given) - expected)
            problems.append(f"{path}: {model}.{column}: missing {missing}, extra {extra}")
    return problems


def test_accepted_values_in_the_yml_files_are_the_catalogue():
    tests = accepted_values_tests(dbt_yml())
    judged = Counter(column for _, model, column, _ in tests if expected_values(model, column))
    assert judged["reason"] >= 1 and judged["kind"] >= 3 and judged["level"] >= 2, judged
    assert judged["visit_type"] >= 4 and judged["role"] >= 2, judged
    assert sum(judged.values()) >= 20, judged
    assert accepted_values_drift(tests) == []


@pytest.mark.parametrize(
    ("model", "column", "values", "problem"),
    [
        ("stg_lake__quarantine_rows", "reason", contract.REASON_CODES[:-1], "orphan_reversal"),
        ("fct_claims", "visit_type", ["outpatient", "emergency", "inpatient"], "emergency"),
        ("fct_visits", "visit_type", ["outpatient", "inpatient"], "home"),
        ("dim_institution", "level", [1, 2, 3, 4, 5], "extra ['5']"),
        ("ingest_files", "kind", [*contract.KINDS, "visits"], "extra []"),
        ("dim_institution", "tier_group", ["primary"], "not judged"),
    ],
)
def test_the_accepted_values_check_reports_drift(model, column, values, problem):
    [found] = accepted_values_drift([("x.yml", model, column, list(values))])
    assert problem in found
