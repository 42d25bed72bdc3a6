"""The dbt project's own rules, checked on the manifest of `dbt parse` (in the spirit of
dbt_project_evaluator): every model and every documented column is described, every mart and
intermediate model tests its grain, and only staging models read sources.

The checks are functions of the manifest, so that the last test can show each of them failing on
a manifest broken on purpose.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROJECT_DIR = REPO / "dbt_project"
PROJECT = "consortium_kpi"
DBT = Path(sys.executable).parent / "dbt"
KEYED_LAYERS = ("intermediate", "marts")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("dbt-parse")
    env = {**os.environ, "KPI_DBT_DATABASE": str(work / "parse.duckdb")}
    run = subprocess.run(
        [
            str(DBT),
            "parse",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"dbt parse failed:\n{run.stdout}\n{run.stderr}"
    return json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))


# --- the checks ----------------------------------------------------------------------------


def project_models(manifest: dict) -> dict[str, dict]:
    """The project's models by name."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == PROJECT
    }


def layer(model: dict) -> str:
    """staging, intermediate or marts: the folder under models/."""
    return Path(model["original_file_path"]).parts[1]


def models_without_description(manifest: dict) -> list[str]:
    return sorted(
        name for name, model in project_models(manifest).items() if not model["description"].strip()
    )


def columns_without_description(manifest: dict) -> list[str]:
    return sorted(
        f"{name}.{column}"
        for name, model in project_models(manifest).items()
        for column, spec in model["columns"].items()
        if not spec["description"].strip()
    )


def grain_tests(manifest: dict) -> dict[str, list[str]]:
    """Model name -> the tests that pin its grain: `unique` with `not_null` (or the column listed
    in `not_null_columns`) on one column, `unique_combination_of_columns`, or `has_row_count`
    of 1 for a one-row model. Only enabled, error-severity tests over the whole model count."""
    unique: dict[str, set[str]] = {}
    not_null: dict[str, set[str]] = {}
    grains: dict[str, list[str]] = {name: [] for name in project_models(manifest)}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata")
        config = node["config"]
        if (
            node["resource_type"] != "test"
            or not metadata
            or not config["enabled"]
            or str(config["severity"]).lower() != "error"
            or config.get("where")
        ):
            continue
        attached = manifest["nodes"].get(node.get("attached_node") or "")
        if not attached or attached["resource_type"] != "model":
            continue
        model, test, kwargs = attached["name"], metadata["name"], metadata["kwargs"]
        if test == "unique":
            unique.setdefault(model, set()).add(kwargs.get("column_name") or node["column_name"])
        elif test == "not_null":
            not_null.setdefault(model, set()).add(kwargs.get("column_name") or node["column_name"])
        elif test == "not_null_columns":
            not_null.setdefault(model, set()).update(kwargs["columns"])
        elif test == "unique_combination_of_columns":
            grains[model].append(f"unique ({', '.join(kwargs['combination_of_columns'])})")
        elif test == "has_row_count" and int(kwargs["count"]) == 1:
            grains[model].append("one row")
    for model, columns in unique.items():
        for column in sorted(columns & not_null.get(model, set())):
            grains[model].append(f"unique + not_null ({column})")
    return grains


def keyed_models_without_grain_test(manifest: dict) -> list[str]:
    models = project_models(manifest)
    return sorted(
        name
        for name, grains in grain_tests(manifest).items()
        if layer(models[name]) in KEYED_LAYERS and not grains
    )


def source_readers_outside_staging(manifest: dict) -> list[str]:
    return sorted(
        name
        for name, model in project_models(manifest).items()
        if layer(model) != "staging"
        and any(n.startswith("source.") for n in model["depends_on"]["nodes"])
    )


def staging_models_not_on_one_source(manifest: dict) -> list[str]:
    """Staging models rename and cast one source table: they read no model and one source."""
    wrong = []
    for name, model in project_models(manifest).items():
        if layer(model) != "staging":
            continue
        upstream = model["depends_on"]["nodes"]
        sources = [n for n in upstream if n.startswith("source.")]
        if len(sources) != 1 or len(upstream) != 1:
            wrong.append(name)
    return sorted(wrong)


def unread_sources(manifest: dict) -> list[str]:
    read = {n for model in project_models(manifest).values() for n in model["depends_on"]["nodes"]}
    return sorted(
        f"{source['source_name']}.{source['name']}"
        for uid, source in manifest["sources"].items()
        if source["package_name"] == PROJECT and uid not in read
    )


# --- the project ---------------------------------------------------------------------------


def test_the_manifest_holds_every_layer_of_the_project(manifest):
    layers = Counter(layer(model) for model in project_models(manifest).values())
    assert sum(layers.values()) > 30, layers
    assert set(layers) == {"staging", "intermediate", "marts"}, layers
    assert layers["staging"] >= 10 and layers["intermediate"] >= 15 and layers["marts"] >= 15
    assert len(manifest["sources"]) >= 10


def test_every_model_and_documented_column_has_a_description(manifest):
    models = project_models(manifest)
    assert all(model["patch_path"] for model in models.values()), "a model missing from yml"
    assert sum(len(model["columns"]) for model in models.values()) > 400
    assert models_without_description(manifest) == []
    assert columns_without_description(manifest) == []


def test_every_mart_and_intermediate_model_tests_its_grain(manifest):
    models = project_models(manifest)
    keyed = [name for name, model in models.items() if layer(model) in KEYED_LAYERS]
    assert len(keyed) > 25
    assert keyed_models_without_grain_test(manifest) == []
    grains = grain_tests(manifest)
    assert grains["kpi_monthly"] == ["unique (consortium_id, month, kpi_id)"]
    assert grains["fct_visits"] == ["unique + not_null (visit_key)"]
    assert grains["dim_patient"] == ["unique + not_null (patient_key)"]  # via not_null_columns
    assert grains["int_activity_dates_bounded"] == ["one row"]


def test_only_staging_models_read_sources(manifest):
    readers = source_readers_outside_staging(manifest)
    assert readers == [], f"source() outside models/staging (read a stg_ view instead): {readers}"
    assert staging_models_not_on_one_source(manifest) == []
    assert unread_sources(manifest) == []


def test_the_checks_catch_a_broken_project(manifest):
    broken = copy.deepcopy(manifest)
    nodes = broken["nodes"]
    models = {node["name"]: uid for uid, node in nodes.items() if node["resource_type"] == "model"}
    nodes[models["dim_date"]]["description"] = " "
    nodes[models["fct_visits"]]["columns"]["visit_id"]["description"] = ""
    # dim_region loses its unique test, int_kpi_visits its combination key
    for uid in [
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "test"
        and node.get("attached_node") in (models["dim_region"], models["int_kpi_visits"])
        and node["test_metadata"]["name"] in ("unique", "unique_combination_of_columns")
    ]:
        del nodes[uid]
    # int_visits_enriched reads raw.visits directly; stg_lake__claims also reads a model
    visits_source = "source.consortium_kpi.lake.visits"
    nodes[models["int_visits_enriched"]]["depends_on"]["nodes"].append(visits_source)
    nodes[models["stg_lake__claims"]]["depends_on"]["nodes"].append(models["dim_date"])
    broken["sources"]["source.consortium_kpi.lake.unused"] = {
        **broken["sources"][visits_source],
        "name": "unused",
    }

    def found(check) -> list[str]:  # what the break adds to what the project has today
        return sorted(set(check(broken)) - set(check(manifest)))

    assert found(models_without_description) == ["dim_date"]
    assert found(columns_without_description) == ["fct_visits.visit_id"]
    assert found(keyed_models_without_grain_test) == ["dim_region", "int_kpi_visits"]
    assert found(source_readers_outside_staging) == ["int_visits_enriched"]
    assert found(staging_models_not_on_one_source) == ["stg_lake__claims"]
    assert found(unread_sources) == ["lake.unused"]


def test_every_published_mart_reaches_the_bi_export(manifest):
    """The BI export and the dashboard's table list (warehouse.marts) take every mart table of
    the project, except the audit tables they list by name."""
    from warehouse.marts import MART_NAMES, MART_PREFIXES

    marts = {
        name
        for name, model in project_models(manifest).items()
        if layer(model) == "marts" and model["config"]["materialized"] != "view"
    }
    assert {m for m in marts if not (m in MART_NAMES or m.startswith(MART_PREFIXES))} == set()
