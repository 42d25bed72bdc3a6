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
import pyarrow.compute as pc

from ingest.contract import KINDS, Kind
from ingest.expectations import validate_loaded
from ingest.lake import QUARANTINE_SCHEMA, Lake, read_parquet_sql, write_parquet_atomic
from ingest.landing import LandingFile, discover, manifest_entry, sha256_of
from ingest.pseudonym import PseudonymKey
from ingest.reading import UnreadableFileError, read_delivery
from ingest.validation import file_rejection, validate

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
    loaded: pa.Table | None = None
    quarantined: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    parsed: pa.Table | None = None  # parsed text, awaiting row validation

    @property
    def delivery_id(self) -> str:
        return f"{self.ingested_at:%Y%m%dT%H%M%S%f}_{self.sha256[:16]}"

    @property
    def slot(self) -> tuple[dt.date, str, str]:
        return (self.file.business_date, self.file.source_code, self.file.kind)

    def audit_row(self, landing: Path) -> dict:
        loaded = self.loaded.num_rows if self.loaded is not None else 0
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


def _with_delivery_columns(table: pa.Table, d: Delivery) -> pa.Table:
    n = table.num_rows
    stamped = {
        "business_date": pa.array([d.file.business_date] * n, pa.date32()),
        "source_code": pa.array([d.file.source_code] * n, pa.string()),
        "file_sha256": pa.array([d.sha256] * n, pa.string()),
        "file_name": pa.array([d.file.file_name] * n, pa.string()),
    }
    rest = {name: table[name] for name in table.column_names}
    row_number = rest.pop("row_number")
    stamped["row_number"] = row_number
    stamped["_loaded_at"] = pa.array([d.ingested_at] * n, pa.timestamp("us"))
    return pa.table({**stamped, **rest})


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
            self._validate_rows(business_date, new)
            if self.kind.name == "claims" and new:
                self._quarantine_orphan_reversals(business_date, new)
            landed = {
                d.delivery_id: _with_delivery_columns(d.loaded, d)
                for d in new
                if d.loaded is not None
            }
            if landed:
                validate_loaded(self.kind, pa.concat_tables(landed.values()), business_date)
            for d in new:
                self._write(d, landed.get(d.delivery_id))
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

    def _validate_rows(self, business_date: dt.date, new: list[Delivery]) -> None:
        pending = {d.delivery_id: d for d in new if d.parsed is not None}
        if not pending:
            return
        results = validate(
            self.con,
            self.kind,
            {i: (d.file.source_code, d.parsed) for i, d in pending.items()},
            business_date=business_date,
            key=self.key,
        )
        for delivery_id, result in results.items():
            d = pending[delivery_id]
            d.loaded, d.quarantined, d.parsed = result.loaded, result.quarantined, None

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

    def _quarantine_orphan_reversals(self, business_date: dt.date, new: list[Delivery]) -> None:
        """A reversal must cancel a settlement of this business date or an earlier one."""
        loaded = [d for d in new if d.loaded is not None]
        replaced = {(d.file.source_code) for d in new}
        settled = set()
        for d in loaded:
            t = d.loaded
            settled.update(t.filter(pc.equal(t["record_type"], "settle"))["claim_id"].to_pylist())
        wanted = set()
        for d in loaded:
            t = d.loaded
            wanted.update(
                t.filter(pc.equal(t["record_type"], "reverse"))["original_claim_id"].to_pylist()
            )
        wanted -= settled
        if wanted:
            earlier = [
                self.lake.raw_path("claims", c["business_date"], c["source_code"], c["delivery_id"])
                for c in self.lake.current_deliveries(self.con, "claims")
                if c["business_date"] < business_date
                or (c["business_date"] == business_date and c["source_code"] not in replaced)
            ]
            earlier = [p for p in earlier if p.exists()]
            if earlier:
                self.con.register(
                    "wanted", pa.table({"claim_id": pa.array(sorted(wanted), pa.string())})
                )
                found = self.con.sql(
                    f"SELECT DISTINCT claim_id FROM {read_parquet_sql(earlier)} "
                    "WHERE record_type = 'settle' AND claim_id IN (SELECT claim_id FROM wanted)"
                ).fetchall()
                self.con.unregister("wanted")
                settled.update(r[0] for r in found)
        for d in loaded:
            t = d.loaded
            orphan = pc.and_(
                pc.equal(t["record_type"], "reverse"),
                pc.invert(pc.is_in(t["original_claim_id"], pa.array(sorted(settled), pa.string()))),
            )
            orphan = pc.fill_null(orphan, False)
            if not pc.any(orphan).as_py():
                continue
            self.con.register("orphans", t.filter(orphan))
            moved = self.con.sql(
                "SELECT row_number::BIGINT AS row_number, 'orphan_reversal' AS reason, "
                "'original_claim_id ' || original_claim_id || ' matches no settlement of this or an earlier business date' AS detail, "
                "to_json(orphans)::VARCHAR AS record FROM orphans"
            ).to_arrow_table()
            self.con.unregister("orphans")
            d.loaded = t.filter(pc.invert(orphan))
            d.quarantined = pa.concat_tables(
                [d.quarantined, moved.cast(QUARANTINE_SCHEMA)]
            ).sort_by("row_number")

    def _write(self, d: Delivery, landed: pa.Table | None) -> None:
        date, source, kind = d.slot
        if landed is not None:
            write_parquet_atomic(landed, self.lake.raw_path(kind, date, source, d.delivery_id))
        write_parquet_atomic(
            d.quarantined, self.lake.quarantine_path(kind, date, source, d.delivery_id)
        )


def ingest_kind(
    landing: Path,
    lake: Lake,
    kind: str,
    key: PseudonymKey,
    registry_codes: list[str],
    up_to: dt.date | None = None,
) -> KindSummary:
    return KindIngest(landing, lake, KINDS[kind], key, registry_codes, up_to=up_to).run()
