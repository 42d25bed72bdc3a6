"""docker-compose.yml, checked without a Docker engine: a real compose parser (Debian's
docker-compose, installed by .ci/run) and what the file references must exist in the repo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
# The shell's variables win over --env-file in compose: give the parser none of the test run's.
CLEAN_ENV = {"PATH": os.environ["PATH"]}
AIRFLOW_SERVICES = {
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}


def filled_env(tmp_path: Path) -> Path:
    """.env.example with every empty secret filled, as an operator would."""
    text = (REPO / ".env.example").read_text()
    env = tmp_path / ".env"
    env.write_text(
        re.sub(
            r"^(KPI_PSEUDONYM_KEY|POSTGRES_PASSWORD|AIRFLOW_JWT_SECRET)=$",
            r"\1=s3cret",
            text,
            flags=re.M,
        )
    )
    return env


def test_compose_file_references_what_exists():
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert AIRFLOW_SERVICES | {"postgres", "airflow-init"} <= set(services)
    for name, service in services.items():
        build = service.get("build")
        if build:
            context = REPO / (build if isinstance(build, str) else build.get("context", "."))
            assert (context / "Dockerfile").exists(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("$", ".", "/")) or source in spec["volumes"], (name, volume)
    dockerfile = (REPO / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.M):
        for item in copied.split():
            assert (REPO / item).exists(), f"Dockerfile copies missing {item}"
    assert ".env" in (REPO / ".gitignore").read_text().split()


def test_no_secret_or_default_password_in_the_repo():
    text = COMPOSE.read_text() + (REPO / ".env.example").read_text()
    for secret in ("KPI_PSEUDONYM_KEY", "POSTGRES_PASSWORD", "AIRFLOW_JWT_SECRET"):
        assert re.search(rf"^{secret}=$", (REPO / ".env.example").read_text(), flags=re.M), secret
        assert f"${{{secret}:?" in text, f"compose must refuse to start without {secret}"


@pytest.mark.skipif(
    not shutil.which("docker-compose"),
    reason="Debian's docker-compose is not installed (.ci/run installs it)",
)
def test_compose_parser_accepts_the_file(tmp_path):
    env = filled_env(tmp_path)
    run = subprocess.run(
        ["docker-compose", "--project-directory", str(REPO), "--env-file", str(env), "-f", str(COMPOSE), "config"],
        capture_output=True, text=True, check=False, env=CLEAN_ENV,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    resolved = yaml.safe_load(run.stdout)
    assert set(resolved["services"]) >= AIRFLOW_SERVICES
    for name in AIRFLOW_SERVICES:
        environment = resolved["services"][name]["environment"]
        assert environment["AIRFLOW_VAR_KPI_PSEUDONYM_KEY"] == "s3cret"
        assert environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(
            "postgresql+psycopg2://"
        )


@pytest.mark.skipif(
    not shutil.which("docker-compose"),
    reason="Debian's docker-compose is not installed (.ci/run installs it)",
)
def test_compose_refuses_to_start_without_secrets(tmp_path):
    env = tmp_path / ".env"
    env.write_text((REPO / ".env.example").read_text())  # secrets left empty
    run = subprocess.run(
        ["docker-compose", "--project-directory", str(REPO), "--env-file", str(env), "-f", str(COMPOSE), "config"],
        capture_output=True, text=True, check=False, env=CLEAN_ENV,
    )  # fmt: skip
    assert run.returncode != 0 and "set in .env" in run.stderr


def test_airflow_services_have_healthchecks_and_an_init_that_owns_the_volumes():
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    for name in AIRFLOW_SERVICES:
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["user"] == "${AIRFLOW_UID:-50000}:0", name
    init = services["airflow-init"]
    script = init["command"][0]
    assert init["user"] == "0:0" and "db migrate" in script
    assert 'chown -R "${AIRFLOW_UID:-50000}:0" /data/warehouse' in script
    assert {v.rsplit(":", 1)[-1] for v in init["volumes"]} >= {"/data/warehouse", "/data/landing"}


def test_the_build_context_leaves_out_the_working_copy():
    ignored = (REPO / ".dockerignore").read_text().split()
    for heavy in (".venv", ".tools", "demo", ".git", "bench/.cache", "*.duckdb", ".env"):
        assert heavy in ignored, heavy
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "UV_COMPILE_BYTECODE=1" in dockerfile and "compileall" in dockerfile
