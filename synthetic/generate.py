"""Synthetic landing zones that follow the extract contract (`kpi generate`).

``generate_landing_zone`` writes ``reference/`` and one folder per business date and source, for
the seed consortia (Lianping county community, Chuzhou urban alliances) and, at larger scales,
the consortia around them. The output is byte-identical for the same arguments.

Family-doctor contracts (``contracts``) come from every primary-care institution on the days it
signs: new contracts, contracts delivered again because they change (renewed with a new end_date,
terminated) and renewals as new contracts, for the people the other kinds already serve. At
county and city scale the first business date also carries each institution's running
contracts (its first full extract), and half of its outpatient visits are by those residents;
at province scale (tens of millions of running contracts) the zone has the daily rows only.

With ``fault_rate`` R > 0 every row-level reason code of the contract is injected at about rate
R per applicable row (and at least once on the first day), each faulty row triggering exactly
its reason (an unknown ``institution_code`` of a contract comes as a small file from a clinic
that is not registered yet, its folder named by its own code); the file-level reasons (unreadable file, missing required column, manifest mismatch)
hit whole files; some files arrive late (``GenerationReport.late_files``: the night on which a
replay should deliver them, see ``arrived_by``) and name / unknown columns appear. With R = 0
every row is valid (the allowed variety of encodings, headers and formats stays).

Redeliveries cannot happen inside one generation (a file is written once): ``redeliver`` writes
an existing file again, identical or as a correction, after a first ingest has run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa

from ingest.contract import KINDS, Kind
from synthetic.faults import Batch, inject
from synthetic.files import manifest_bytes, render, sha256, unreadable, xlsx_bytes
from synthetic.format import FileStyle, draw_style, force_features, plain_style, to_strings
from synthetic.records import (
    CONTRACT_EVENTS,
    INPATIENT,
    TERMINATED,
    ContractBook,
    Records,
    Schedule,
    WorldArrays,
    business_days,
    claims,
    concat,
    contracts,
    epoch_day,
    finish_claims,
    opening_contracts,
    public_health,
    referrals,
    reversals,
    sort_by_source,
    unregistered_contracts,
    visits,
)
from synthetic.world import SCALES, World, build_world, write_reference

REVERSAL_RATE = 0.015  # share of settlements reversed on a later day
KIND_ORDER = ("visits", "referrals", "claims", "public_health", "contracts")
FILE_FAULTS = ("unreadable_file", "missing_required_column", "manifest_mismatch")
# Scales whose zone opens with the running contracts (province: tens of millions of rows).
OPENING_SCALES = ("county", "city")


@dataclass(frozen=True)
class FileRecord:
    path: str  # relative to the landing zone, POSIX separators
    business_date: date
    source_code: str
    kind: str  # visits | referrals | claims | public_health | contracts | manifest
    rows: int  # data rows written (0 for an unreadable file)
    sha256: str
    arrival: date  # the night the file is meant to arrive (business date + 1 unless late)


@dataclass
class GenerationReport:
    """What a generation wrote. ``faults`` maps each reason code to (file path, data row
    number) pairs — row numbers count data rows from 1 (header excluded), 0 for a file-level
    reason — so tests can check that every injected fault comes back as exactly that reason.
    ``contract_events`` counts the contract rows written by what they are (signed, a second
    contract of the same person, renewed as a new contract, renewed keeping the id with a new
    end_date, terminated, running when the zone opens), before faults."""

    out: Path
    start: date
    days: int
    scale: str
    seed: int
    fault_rate: float
    reference: list[str] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KIND_ORDER, 0))
    faults: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    late_files: dict[str, date] = field(default_factory=dict)
    dropped_columns: dict[str, list[str]] = field(default_factory=dict)
    contract_events: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(CONTRACT_EVENTS, 0)
    )

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["out"] = str(self.out)
        return json.loads(json.dumps(data, default=str))


def generate_landing_zone(
    out: Path,
    start: date,
    days: int,
    scale: str = "county",
    seed: int = 0,
    fault_rate: float = 0.0,
    *,
    plain: bool = False,
) -> GenerationReport:
    """Write a synthetic landing zone into ``out`` and report what was written.

    ``plain=True`` writes every file as canonical UTF-8 CSV (no encodings, aliases, labels or
    XLSX) — handy when debugging; the default mixes every format the contract allows.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, not {days}")
    if not 0.0 <= fault_rate <= 1.0:
        raise ValueError(f"fault_rate must be between 0 and 1, not {fault_rate}")
    out = Path(out)
    world = build_world(scale, start, days, seed)
    report = GenerationReport(out, start, days, scale, seed, fault_rate)
    report.reference = [
        p.relative_to(out).as_posix() for p in write_reference(out, world, start, days, seed)
    ]
    writer = _Writer(world, out, seed, fault_rate, plain, report)
    for index, day in enumerate(business_days(start, days)):
        writer.write_day(index, day)
    return report


@dataclass
class _FilePlan:
    """One file of a day: its source, its rows in the batch, what happens to it."""

    code: str
    start: int
    stop: int
    fault: str | None = None
    arrival: date | None = None


class _Writer:
    """Generates and writes day after day, carrying referral events and reversals forward."""

    def __init__(
        self,
        world: World,
        out: Path,
        seed: int,
        rate: float,
        plain: bool,
        report: GenerationReport,
    ) -> None:
        self.world, self.out, self.seed, self.rate, self.report = world, out, seed, rate, report
        self.wa = WorldArrays(world)
        self.referral_book = Schedule()
        self.reversal_book = Schedule()
        last = report.start + timedelta(days=max(report.days, 1) - 1)
        self.contract_book = ContractBook(epoch_day(report.start), epoch_day(last))
        if report.scale in OPENING_SCALES and report.days > 0:
            opening_contracts(
                self._rng(22, report.start), self.wa, report.start, self.contract_book
            )
        self.delivering = [world.insts[i].code for i in self.wa.delivers]
        self.styles, self.manifest_sources = self._styles(plain)
        self.manifests: dict[str, dict[str, tuple[int, str]]] = {}
        self.folders: set[Path] = set()

    def _rng(self, stream: int, day: date, *more: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream, day.toordinal(), *more])

    # Styles ------------------------------------------------------------------------------

    def _styles(self, plain: bool) -> tuple[dict[tuple[str, str], FileStyle], set[str]]:
        """Each source's stable export format per kind, and the sources writing manifests."""
        world = self.world
        sources = {kind: self.delivering for kind in ("visits", "referrals", "public_health")}
        sources["claims"] = world.bureaus
        signers = [world.insts[i].code for i in self.wa.signers]
        if plain:
            sources["contracts"] = signers
            styles = {(k, s): plain_style(KINDS[k]) for k, codes in sources.items() for s in codes}
            return styles, set()
        rng = np.random.default_rng([self.seed, 7])
        # XLSX only where a day is a few dozen rows (village clinics, stations), as in practice.
        small = {world.insts[i].code for i in self.wa.delivers if world.insts[i].visits < 150}
        extras = self.rate > 0
        styles = {}
        for kind, codes in sources.items():
            for code in codes:
                styles[(kind, code)] = draw_style(rng, KINDS[kind], code in small, extras)
        level_one = [world.insts[i].code for i in self.wa.delivers if world.insts[i].level == 1]
        force_features(styles, level_one, extras, rng)
        everyone = [*self.delivering, *world.bureaus]
        manifest = {code for code in everyone if rng.random() < 0.25}
        manifest.add(world.insts[world.consortia[0].lead].code)
        # Contracts (a later kind) from their own stream: the other kinds' styles stay as they were.
        rng = np.random.default_rng([self.seed, 7, 1])
        for code in signers:
            styles[("contracts", code)] = draw_style(rng, KINDS["contracts"], code in small, extras)
        return styles, manifest

    # One business date ---------------------------------------------------------------------

    def write_day(self, index: int, day: date) -> None:
        force = self.rate > 0 and index == 0
        wa = self.wa
        self.manifests = {}
        day_visits = visits(self._rng(20, day, 0), wa, day)
        day_claims = self._claims(day, day_visits)
        day_referrals = referrals(self._rng(20, day, 1), wa, day, self.referral_book)
        day_ph = public_health(self._rng(20, day, 3), wa, day)
        day_contracts = contracts(self._rng(20, day, 4), wa, day, self.contract_book)
        events = np.bincount(day_contracts.cols["event"], minlength=len(CONTRACT_EVENTS))
        for event, count in zip(CONTRACT_EVENTS, events.tolist(), strict=True):
            self.report.contract_events[event] += count
        all_sources = np.arange(len(self.world.bureaus))
        for kind, records, sources in (
            ("visits", day_visits, wa.delivers),
            ("referrals", day_referrals, np.unique(day_referrals.source)),
            ("claims", day_claims, all_sources),
            ("public_health", day_ph, wa.ph_providers),
            ("contracts", day_contracts, np.unique(day_contracts.source)),
        ):
            self._deliver(KINDS[kind], records, sources, day, force)
        if self.rate > 0:
            self._unregistered_clinic(day, force)
        self._write_manifests(day)

    def _claims(self, day: date, day_visits: Records) -> Records:
        """Settlements, some scheduled for reversal on a later day (and kept fault-free so the
        reversal finds them), plus today's reversals of earlier settlements."""
        settles = finish_claims(
            claims(self._rng(20, day, 2), self.wa, day, day_visits), self.world, day
        )
        rng = self._rng(21, day)
        pick = rng.random(len(settles)) < REVERSAL_RATE
        # Most reversals (退费 / 冲销) follow within days; a few weeks later at most.
        delay = np.minimum(rng.geometric(0.4, int(pick.sum())), 30)
        self.reversal_book.schedule(day.toordinal() + delay, settles.take(np.flatnonzero(pick)))
        settles.cols["protected"] = pick
        due = self.reversal_book.due(day)
        if not due:
            return settles
        reversed_ = reversals(concat(due), self.world, day)
        reversed_.cols["protected"] = np.zeros(len(reversed_), dtype=bool)
        return sort_by_source(concat([settles, reversed_]))

    def _deliver(
        self, kind: Kind, rec: Records, sources: np.ndarray, day: date, force: bool
    ) -> None:
        k = KIND_ORDER.index(kind.name)
        codes = self._codes(kind, sources)
        starts = np.searchsorted(rec.source, sources, "left")
        stops = np.searchsorted(rec.source, sources, "right")
        plans = [_FilePlan(c, int(a), int(b)) for c, a, b in zip(codes, starts, stops, strict=True)]
        counts = stops - starts
        styles = [self.styles[(kind.name, c)] for c in codes]
        labels = np.repeat([s.labels for s in styles], counts).astype(bool)
        dates = np.repeat([s.date_format for s in styles], counts).astype(np.int8)
        separators = np.repeat([s.separator for s in styles], counts).astype(np.int8)
        file_of_row = np.repeat(np.arange(len(plans)), counts)
        flags = self._flags(kind, rec)
        if kind.name == "contracts":
            flags["separator"] = separators
        batch = Batch(
            kind,
            day,
            to_strings(rec, self.world, labels, dates, separators),
            file_of_row,
            labels,
            flags=flags,
        )
        if self.rate > 0:
            self._plan_files(kind, plans, day, force, self._rng(40, day, k))
            blocked = np.repeat([p.fault is not None for p in plans], counts)
            if "protected" in rec.cols:
                blocked |= rec.cols["protected"]
            batch.blocked = blocked
            inject(batch, self._rng(30, day, k), self.rate, force, self.delivering)
        self._write_files(kind, batch, plans, styles, day)

    def _codes(self, kind: Kind, sources: np.ndarray) -> list[str]:
        if kind.name == "claims":
            return [self.world.bureaus[b] for b in sources]
        return [self.world.insts[i].code for i in sources]

    @staticmethod
    def _flags(kind: Kind, rec: Records) -> dict[str, np.ndarray]:
        c = rec.cols
        if kind.name == "visits":
            return {"inpatient": c["visit_type"] == INPATIENT}
        if kind.name == "claims":
            return {"reverse": c["record_type"] == 1}
        if kind.name == "public_health":
            return {"bp": c["sbp"] >= 0, "dbp": c["dbp"] >= 0, "glucose": c["glucose"] >= 0}
        if kind.name == "contracts":
            return {"terminated": c["status"] == TERMINATED}
        return {}

    def _unregistered_clinic(self, day: date, force: bool) -> None:
        """Now and then (and on the first day of a faulty zone) a clinic that the registry does
        not know yet delivers its first contracts, in a folder named by its own code: each row
        is unknown_institution (its institution_code is the folder's source, so not
        wrong_source_folder). The code is well formed with an unused serial (08xxx)."""
        rng = self._rng(60, day)
        if not (force or rng.random() < min(1.0, 20 * self.rate)):
            return
        kind, wa = KINDS["contracts"], self.wa
        neighbour = int(wa.signers[rng.integers(len(wa.signers))])
        n = int(rng.integers(1, 6))
        rec = unregistered_contracts(rng, wa, day, neighbour, n)
        style = self.styles[("contracts", self.world.insts[neighbour].code)]
        cols = to_strings(
            rec,
            self.world,
            np.full(n, style.labels),
            np.full(n, style.date_format, dtype=np.int8),
            np.full(n, style.separator, dtype=np.int8),
        )
        code = f"{self.world.insts[neighbour].code[:7]}08{int(rng.integers(1000)):03d}"
        cols["institution_code"] = pa.array([code] * n, pa.string())
        plan = _FilePlan(code, 0, n)
        data = render(kind, style, cols, rng)
        rel = f"{day.isoformat()}/{code}/{kind.file_stem}.{style.extension}"
        self._write(rel, data)
        faults = [("unknown_institution", row) for row in range(1, n + 1)]
        self._record(kind, plan, style, rel, data, n, day, faults)

    def _plan_files(
        self,
        kind: Kind,
        plans: list[_FilePlan],
        day: date,
        force: bool,
        rng: np.random.Generator,
    ) -> None:
        """File-level faults and late arrivals. Claims files are spared both: a lost or late
        settlement file would turn the next days' genuine reversals into orphans."""
        if kind.name == "claims":
            return
        for plan in plans:
            u = rng.random()
            if u < self.rate:
                plan.fault = FILE_FAULTS[int(rng.integers(3))]
            elif u < 1.5 * self.rate:
                plan.arrival = day + timedelta(days=int(rng.integers(2, 9)))
        if not (force and kind.name in ("visits", "contracts")):
            return
        # First day: every file-level reason and one late file, on files with data rows.
        # (A quiet first day may have fewer contracts files: then as many as there are.)
        candidates = [p for p in plans if p.stop > p.start and p.fault is None]
        wanted = len(FILE_FAULTS) + 1
        if kind.name != "visits":
            wanted = min(wanted, len(candidates))
        chosen = rng.choice(len(candidates), wanted, replace=False)
        for reason, pick in zip(FILE_FAULTS, chosen[:-1], strict=False):
            candidates[pick].fault, candidates[pick].arrival = reason, None
        if len(chosen):  # the last one chosen arrives late
            late = candidates[chosen[-1]]
            late.arrival = late.arrival or day + timedelta(days=int(rng.integers(2, 9)))

    # Writing ---------------------------------------------------------------------------

    def _write_files(
        self, kind: Kind, batch: Batch, plans: list[_FilePlan], styles: list, day: date
    ) -> None:
        bounds = np.searchsorted(batch.file_of_row, np.arange(len(plans) + 1))
        row_faults = _row_numbers(batch, bounds)
        k = KIND_ORDER.index(kind.name)
        for f, (plan, style) in enumerate(zip(plans, styles, strict=True)):
            start, rows = int(bounds[f]), int(bounds[f + 1] - bounds[f])
            cols = {c: v.slice(start, rows) for c, v in batch.cols.items()}
            if f in batch.extra:
                added = batch.extra[f][0]
                cols = {c: pa.concat_arrays([v, added[c]]) for c, v in cols.items()}
                rows += len(batch.extra[f][1])
            # A file's own random stream, only where it needs one (names, faults).
            needs_rng = plan.fault or style.name_column or style.extra_column
            rng = self._rng(50, day, k, f) if needs_rng else None
            if plan.fault == "unreadable_file":
                data, ext, rows = unreadable(kind, style, cols), "xlsx", 0
            else:
                drop = self._dropped_column(kind, plan, rng)
                data, ext = render(kind, style, cols, rng, drop), style.extension
            rel = f"{day.isoformat()}/{plan.code}/{kind.file_stem}.{ext}"
            self._write(rel, data)
            self._record(kind, plan, style, rel, data, rows, day, row_faults.get(f, []))

    def _record(
        self,
        kind: Kind,
        plan: _FilePlan,
        style: FileStyle,
        rel: str,
        data: bytes,
        rows: int,
        day: date,
        row_faults: list[tuple[str, int]],
    ) -> None:
        """Account for a written file in the report and its folder's manifest."""
        report, digest = self.report, sha256(data)
        arrival = plan.arrival or day + timedelta(days=1)
        report.files.append(FileRecord(rel, day, plan.code, kind.name, rows, digest, arrival))
        report.rows[kind.name] += rows
        if plan.arrival:
            report.late_files[rel] = plan.arrival
        if plan.fault:
            report.faults.setdefault(plan.fault, []).append((rel, 0))
        for reason, row in row_faults:
            report.faults.setdefault(reason, []).append((rel, row))
        dropped = [c for c in (style.name_column, style.extra_column) if c]
        if dropped and plan.fault != "unreadable_file":
            report.dropped_columns[rel] = dropped
        self._manifest_entry(plan, rel.rsplit("/", 1)[1], rows, digest)

    @staticmethod
    def _dropped_column(kind: Kind, plan: _FilePlan, rng: np.random.Generator | None) -> str | None:
        """The required column a ``missing_required_column`` file leaves out (never the
        source column, so the folder still makes sense)."""
        if plan.fault != "missing_required_column" or rng is None:
            return None
        options = [c for c in kind.required_columns if c != kind.source_column]
        return options[int(rng.integers(len(options)))]

    def _manifest_entry(self, plan: _FilePlan, name: str, rows: int, digest: str) -> None:
        if plan.fault == "manifest_mismatch":
            self.manifests.setdefault(plan.code, {})[name] = (rows + 1, digest)
        elif plan.code in self.manifest_sources and plan.fault != "unreadable_file":
            self.manifests.setdefault(plan.code, {})[name] = (rows, digest)

    def _write_manifests(self, day: date) -> None:
        for code, entries in sorted(self.manifests.items()):
            rel = f"{day.isoformat()}/{code}/_manifest.json"
            data = manifest_bytes(entries)
            self._write(rel, data)
            arrival = day + timedelta(days=1)
            self.report.files.append(
                FileRecord(rel, day, code, "manifest", 0, sha256(data), arrival)
            )

    def _write(self, rel: str, data: bytes) -> None:
        path = self.out / rel
        if path.parent not in self.folders:  # thousands of files a day: one mkdir per folder
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(path.parent)
        path.write_bytes(data)


def _row_numbers(batch: Batch, bounds: np.ndarray) -> dict[int, list[tuple[str, int]]]:
    """file index -> (reason, data row number from 1) of the batch's row faults; added rows
    follow the file's own rows."""
    out: dict[int, list[tuple[str, int]]] = {}
    if batch.faults:
        rows = np.array([row for _, row in batch.faults], dtype=np.int64)
        files = batch.file_of_row[rows]
        numbers = rows - bounds[files] + 1
        for (reason, _), f, number in zip(
            batch.faults, files.tolist(), numbers.tolist(), strict=True
        ):
            out.setdefault(f, []).append((reason, number))
    for f, (_, reasons) in batch.extra.items():
        own = int(bounds[f + 1] - bounds[f])
        out.setdefault(f, []).extend((reason, own + k + 1) for k, reason in enumerate(reasons))
    return out


def arrived_by(report: GenerationReport, night: date) -> list[FileRecord]:
    """The files a replay of the zone should have delivered by ``night``: each file arrives on
    its business date + 1 (the night that processes it), a late file on its later arrival.
    A DAG test or demo can copy these into a fresh landing zone night by night, so that late
    files really come late."""
    return [f for f in report.files if f.arrival <= night]


# Redelivery ------------------------------------------------------------------------------------


def redeliver(
    out: Path, business_date: date, source_code: str, kind: str, *, correction: bool = False
) -> Path:
    """Deliver an existing file again, after a first ingest has seen it.

    ``correction=False`` rewrites identical bytes (the ingest must treat it as a no-op,
    ``skipped_duplicate``). ``correction=True`` rewrites it without its last data row (a record
    withdrawn by the source): same (business_date, source, kind), different content, so it must
    replace what the first delivery contributed. The folder's ``_manifest.json`` is updated
    when it names the file. For exact KPI checks prefer a visits or public_health file: a
    withdrawn settlement could be the original of a later reversal.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    folder = Path(out) / business_date.isoformat() / source_code
    matches = [
        folder / f"{kind}.{ext}" for ext in ("csv", "xlsx") if (folder / f"{kind}.{ext}").exists()
    ]
    if not matches:
        raise FileNotFoundError(f"no {kind}.csv or {kind}.xlsx in {folder} to redeliver")
    path = matches[0]
    data = path.read_bytes()
    rows = None
    if correction:
        data, rows = (
            _drop_last_xlsx_row(data) if path.suffix == ".xlsx" else _drop_last_csv_row(data)
        )
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)  # a new delivery: new inode and mtime, atomically in place
    if rows is not None:
        _update_manifest(folder, path.name, rows, sha256(data))
    return path


def _drop_last_csv_row(data: bytes) -> tuple[bytes, int]:
    """Remove the last data line. Byte-level, so any encoding survives: no GB18030 or UTF-8
    multi-byte character contains the byte 0x0A."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) < 2:
        raise ValueError("the file has no data row to withdraw")
    lines.pop()
    return b"\n".join(lines) + b"\n", len(lines) - 1


def _drop_last_xlsx_row(data: bytes) -> tuple[bytes, int]:
    import io

    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    if len(rows) < 2:
        raise ValueError("the file has no data row to withdraw")
    header, body = [str(h) for h in rows[0]], rows[1:-1]
    columns = [pa.array([_text(r[k]) for r in body], type=pa.string()) for k in range(len(header))]
    table = pa.table(columns, names=[f"c{k}" for k in range(len(header))])
    numeric = [any(isinstance(r[k], int | float) for r in rows[1:]) for k in range(len(header))]
    return xlsx_bytes(header, table, numeric), len(body)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _update_manifest(folder: Path, name: str, rows: int, digest: str) -> None:
    path = folder / "_manifest.json"
    if not path.exists():
        return
    manifest = json.loads(path.read_text("utf-8"))
    if name in manifest.get("files", {}):
        manifest["files"][name] = {"rows": rows, "sha256": digest}
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")


# Command line: `kpi generate` ------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kpi generate``, for the ``kpi`` CLI's subparser."""
    parser.add_argument("--out", type=Path, required=True, help="landing zone folder to write")
    parser.add_argument(
        "--start", type=date.fromisoformat, required=True, help="first business date, YYYY-MM-DD"
    )
    parser.add_argument("--days", type=int, required=True, help="number of business dates")
    parser.add_argument("--scale", choices=SCALES, default="county")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="rate of each row-level fault, 0 for a clean zone",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="canonical UTF-8 CSV only (no encodings, aliases, labels, XLSX)",
    )
    parser.add_argument(
        "--report", type=Path, help="also write the generation report (files, faults) as JSON here"
    )


def run(args: argparse.Namespace) -> int:
    report = generate_landing_zone(
        args.out, args.start, args.days, args.scale, args.seed, args.fault_rate, plain=args.plain
    )
    if args.report:
        args.report.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), "utf-8")
    data_files = [f for f in report.files if f.kind != "manifest"]
    print(
        f"wrote {len(data_files)} files to {report.out} "
        f"({args.days} days from {args.start}, scale {args.scale}, seed {args.seed})"
    )
    for kind, rows in report.rows.items():
        print(f"  {kind:<14} {rows:>12,} rows")
    events = ", ".join(f"{n:,} {event}" for event, n in report.contract_events.items())
    print(f"  contract rows: {events}")
    for reason, hits in sorted(report.faults.items()):
        print(f"  fault {reason:<24} {len(hits):>8,}")
    if report.late_files:
        print(f"  late files: {len(report.late_files)} (arrival nights in the report)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kpi generate", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
