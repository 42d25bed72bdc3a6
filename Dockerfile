# The project's image: the locked environment (Airflow, dbt, DuckDB, GX) and the project.
FROM python:3.11-slim
# Byte-compiled at build: every task process imports Airflow, dbt and GX from .pyc.
ENV UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH UV_COMPILE_BYTECODE=1 \
    AIRFLOW_HOME=/opt/airflow AIRFLOW__CORE__DAGS_FOLDER=/opt/project/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /opt/project
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --group deploy --no-install-project
COPY ingest ./ingest
COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY dashboard ./dashboard
COPY synthetic ./synthetic
COPY warehouse ./warehouse
COPY night ./night
COPY cli ./cli
RUN uv sync --frozen --no-dev --group deploy && python -m compileall -q /opt/project \
    && useradd --create-home --uid 50000 --gid 0 airflow \
    && mkdir -p /opt/airflow /data/warehouse /data/landing \
    && chown -R airflow:0 /opt/airflow /data /opt/project && chmod -R g+w /opt/airflow /data
USER airflow
