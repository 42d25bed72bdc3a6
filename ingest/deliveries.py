"""Ingest every new delivery of one extract kind from the landing zone into the lake."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import KINDS, Kind
from ingest.expectations import check_batch
from ingest.lake import QUARANTINE_SCHEMA, Lake, read_parquet_sql, write_parquet_atomic
from ingest.landing import LandingFile, discover, manifest_entry, sha256_of
from ingest.pseudonym import PseudonymKey
from ingest.reading import UnreadableFileError, read_delivery
from ingest.sqltext import sql_literal
from ingest.validation import DELIVERY_ID, DELIVERY_META, file_rejection, validate

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Delivery:
    """One file being ingested: what it contributes and what its audit row says."""

    file: LandingFile
    sha256: str
    ingested_at: dt.datetime
    status: str = "loaded"
    detail: str | None = None
    encoding: str | None = None
    dropped_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    # rows of a file rejected whole (row validation's rejects go straight to the night's file)
    quarantined: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    parsed: pa.Table | None = None  # parsed text, awaiting row validation

    @property
    def delivery_id(self) -> str:
        return f"{self.ingested_at:%Y%m%dT%H%M%S%f}_{self.sha256[:16]}"

    @property
    def slot(self) -> tuple[dt.date, str, str]:
        return (self.file.business_date, self.file.source_code, self.file.kind)

    def audit_row(self, landing: Path) -> dict:
        loaded = self.rows_loaded
        quarantined = self.rows_read - loaded
        return {
            "business_date": self.file.business_date,
            "source_code": self.file.source_code,
            "kind": self.file.kind,
            "file_name": self.file.file_name,
            "landing_path": self.file.relative_to(landing),
            "sha256": self.sha256,
            "file_size": self.file.size,
            "file_mtime_ns": self.file.mtime_ns,
            "rows_read": self.rows_read,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined,
            "dropped_columns": ",".join(self.dropped_columns),
            "status": self.status,
            "detail": self.detail,
            "encoding": self.encoding,
            "delivery_id": self.delivery_id,
            "ingested_at": self.ingested_at,
        }


@dataclass
class KindSummary:
    kind: str
    deliveries: int = 0
    duplicates: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0

    def add(self, row: dict) -> None:
        if row["status"] == "skipped_duplicate":
            self.duplicates += 1
            return
        self.deliveries += 1
        self.rows_read += row["rows_read"]
        self.rows_loaded += row["rows_loaded"]
        self.rows_quarantined += row["rows_quarantined"]


class KindIngest:
    def __init__(
        self,
        landing: Path,
        lake: Lake,
        kind: Kind,
        key: PseudonymKey,
        registry_codes: list[str],
        clock: Callable[[], dt.datetime] = utc_now,
        up_to: dt.date | None = None,
    ) -> None:
        self.landing, self.lake, self.kind, self.key = Path(landing), lake, kind, key
        self.up_to = up_to  # a backfilled night reads no file of a later business date
        self.clock = clock
        self._last_stamp: dt.datetime | None = None
        self.con = duckdb.connect()
        self.con.register(
            "registry_src", pa.table({"institution_code": pa.array(registry_codes, pa.string())})
        )
        self.con.execute(
            "CREATE TABLE registry AS SELECT DISTINCT institution_code FROM registry_src"
        )

    def _now(self) -> dt.datetime:
        now = self.clock()
        if self._last_stamp is not None and now <= self._last_stamp:  # keep delivery order strict
            now = self._last_stamp + dt.timedelta(microseconds=1)
        self._last_stamp = now
        return now

    def run(self) -> KindSummary:
        summary = KindSummary(self.kind.name)
        events = self.lake.audit_events(self.con).filter(f"kind = '{self.kind.name}'")
        last_seen: dict[str, tuple[int, int]] = {}
        current_sha: dict[tuple, str] = {}
        for row in events.order("ingested_at").fetchall():
            e = dict(zip(events.columns, row, strict=True))
            last_seen[e["landing_path"]] = (e["file_size"], e["file_mtime_ns"])
            if e["status"] != "skipped_duplicate":
                current_sha[(e["business_date"], e["source_code"], e["kind"])] = e["sha256"]

        files = [
            f
            for f in discover(self.landing)
            if f.kind == self.kind.name and (self.up_to is None or f.business_date <= self.up_to)
        ]
        for business_date, group in groupby(files, key=lambda f: f.business_date):
            audit_rows, new = [], []
            for f in group:
                if last_seen.get(f.relative_to(self.landing)) == (f.size, f.mtime_ns):
                    continue  # already ingested, untouched since
                data = f.path.read_bytes()
                sha = sha256_of(data)
                slot = (f.business_date, f.source_code, f.kind)
                if current_sha.get(slot) == sha:
                    dup = Delivery(
                        f,
                        sha,
                        self._now(),
                        status="skipped_duplicate",
                        detail="identical to the current delivery",
                    )
                    audit_rows.append(dup.audit_row(self.landing))
                    log.info("%s: identical redelivery, skipped", f.relative_to(self.landing))
                    continue
                delivery = self._process(f, data, sha)
                current_sha[slot] = sha
                new.append(delivery)
            self._land(business_date, new)
            for d in new:
                audit_rows.append(d.audit_row(self.landing))
            self.lake.commit_audit(
                self.kind.name, business_date, audit_rows, f"{self._now():%Y%m%dT%H%M%S%f}"
            )
            for row in audit_rows:
                summary.add(row)
        return summary

    def _process(self, f: LandingFile, data: bytes, sha: str) -> Delivery:
        d = Delivery(f, sha, self._now())
        name = f.relative_to(self.landing)
        try:
            parsed = read_delivery(f.path, self.kind, data, self.con)
        except UnreadableFileError as exc:
            d.status, d.detail = "quarantined", str(exc)
            d.quarantined = pa.Table.from_pylist(
                [
                    {
                        "row_number": 0,
                        "reason": "unreadable_file",
                        "detail": str(exc),
                        "record": None,
                    }
                ],
                schema=QUARANTINE_SCHEMA,
            )
            log.warning("%s: unreadable_file: %s", name, exc)
            return d
        d.encoding, d.dropped_columns, d.rows_read = (
            parsed.encoding,
            parsed.dropped_columns,
            parsed.rows,
        )
        if parsed.dropped_columns:
            log.info(
                "%s: dropped columns not in the contract: %s",
                name,
                ", ".join(parsed.dropped_columns),
            )
        reject = self._file_reason(f, parsed.table, sha)
        if reject:
            d.status, d.detail = "quarantined", reject[1]
            d.quarantined = file_rejection(
                self.con, self.kind, parsed.table, reason=reject[0], detail=reject[1], key=self.key
            )
            log.warning("%s: %s: %s", name, *reject)
            return d
        d.parsed = parsed.table  # validated with the rest of the business date's files
        return d

    def _land(self, business_date: dt.date, new: list[Delivery]) -> None:
        """Validate the date's parsed deliveries in one query and write the night's raw and
        quarantine files of this (kind, business date): the audit commit follows."""
        stamp = f"{self._now():%Y%m%dT%H%M%S%f}"
        rejected = [
            d.quarantined.append_column(
                DELIVERY_ID,
                pa.repeat(pa.scalar(d.delivery_id, pa.string()), d.quarantined.num_rows),
            )
            for d in new
            if d.quarantined.num_rows
        ]
        pending = {d.delivery_id: d for d in new if d.parsed is not None}
        if pending:
            batch = validate(
                self.con,
                self.kind,
                {i: (d.file.source_code, d.parsed) for i, d in pending.items()},
                business_date=business_date,
                key=self.key,
            )
            batch.mark_orphan_reversals(self._earlier_settlements(business_date, new))
            loaded = batch.loaded(self._meta(pending.values()))
            check_batch(self.con, self.kind, loaded, business_date, self.lake.root / "gx")
            rejected.append(batch.quarantined())
            for delivery_id, n in batch.loaded_counts().items():
                pending[delivery_id].rows_loaded = n
                pending[delivery_id].parsed = None
            if loaded.num_rows:
                write_parquet_atomic(
                    loaded, self.lake.raw_file(self.kind.name, business_date, stamp)
                )
        rejected = [
            t.select([DELIVERY_ID, *QUARANTINE_SCHEMA.names]) for t in rejected if t.num_rows
        ]
        if rejected:  # no empty quarantine files
            write_parquet_atomic(
                pa.concat_tables(rejected, promote_options="permissive"),
                self.lake.quarantine_file(self.kind.name, business_date, stamp),
            )

    def _meta(self, deliveries) -> pa.Table:
        return pa.Table.from_pylist(
            [
                {
                    "_delivery": d.delivery_id,
                    "business_date": d.file.business_date,
                    "source_code": d.file.source_code,
                    "file_sha256": d.sha256,
                    "file_name": d.file.file_name,
                    "_loaded_at": d.ingested_at,
                }
                for d in deliveries
            ],
            schema=DELIVERY_META,
        )

    def _earlier_settlements(self, business_date: dt.date, new: list[Delivery]) -> str | None:
        """SQL of the current settlements a reversal of `business_date` may cancel besides the
        date's new ones: earlier dates, and this date's sources not redelivered tonight."""
        rule = self.kind.reversal
        if rule is None:
            return None
        replaced = {d.file.source_code for d in new}
        current = [
            c["delivery_id"]
            for c in self.lake.current_deliveries(self.con, self.kind.name)
            if c["business_date"] < business_date
            or (c["business_date"] == business_date and c["source_code"] not in replaced)
        ]
        files = self.lake.zone_files("raw", self.kind.name, up_to=business_date)
        if not current or not files:
            return None
        self.con.register("earlier_current", pa.table({"id": pa.array(current, pa.string())}))
        return (
            f"SELECT {rule.id_column} AS claim_id FROM {read_parquet_sql(files)} "
            f"WHERE {rule.type_column} = {sql_literal(rule.settle)} "
            f"AND {DELIVERY_ID} IN (SELECT id FROM earlier_current)"
        )

    def _file_reason(self, f: LandingFile, table: pa.Table, sha: str) -> tuple[str, str] | None:
        missing = [c for c in self.kind.required_columns if c not in table.column_names]
        if missing:
            accepted = "; ".join(f"{c}: {' / '.join(self.kind.column(c).headers)}" for c in missing)
            return (
                "missing_required_column",
                f"required column(s) absent under every alias: {accepted}",
            )
        entry = manifest_entry(f)
        if entry is not None:
            if "rows" in entry and entry["rows"] != table.num_rows:
                return (
                    "manifest_mismatch",
                    f"_manifest.json says {entry['rows']} data rows, the file has {table.num_rows}",
                )
            if entry.get("sha256") and str(entry["sha256"]).lower() != sha:
                return (
                    "manifest_mismatch",
                    f"_manifest.json sha256 {entry['sha256']} differs from the file's {sha}",
                )
        return None


def ingest_kind(
    landing: Path,
    lake: Lake,
    kind: str,
    key: PseudonymKey,
    registry_codes: list[str],
    up_to: dt.date | None = None,
) -> KindSummary:
    return KindIngest(landing, lake, KINDS[kind], key, registry_codes, up_to=up_to).run()
