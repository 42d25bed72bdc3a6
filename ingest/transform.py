"""Running the dbt project against the working warehouse file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


class DbtFailedError(RuntimeError):
    pass


def dbt_paths(warehouse: Path) -> dict[str, Path]:
    """dbt's target and logs live beside the warehouse, not in the (possibly read-only) repo."""
    base = warehouse.with_name(warehouse.name + ".dbt")
    return {"target": base / "target", "logs": base / "logs"}


def run_dbt(args: list[str], database: Path, warehouse: Path) -> list[dict]:
    """Run one dbt command in-process on `database`; return per-node results; raise on failure."""
    from dbt.cli.main import dbtRunner

    paths = dbt_paths(warehouse)
    os.environ["KPI_DBT_DATABASE"] = str(database.absolute())
    command = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),  # absolute: partial parse stores paths
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(paths["target"]),
        "--log-path",
        str(paths["logs"]),
    ]
    log.info("dbt %s", " ".join(args))
    result = dbtRunner().invoke(command)
    nodes = []
    if result.result is not None and hasattr(result.result, "results"):
        for r in result.result.results:
            nodes.append(
                {
                    "node": r.node.unique_id,
                    "status": str(r.status),
                    "seconds": round(r.execution_time or 0.0, 3),
                    "message": r.message,
                }
            )
    if not result.success:
        failed = [n for n in nodes if n["status"] not in ("success", "pass", "skipped", "warn")]
        detail = "; ".join(f"{n['node']}: {n['status']} {n['message'] or ''}" for n in failed[:10])
        raise DbtFailedError(f"dbt {args[0]} failed: {detail or result.exception}")
    return nodes
