"""Row-level faults injected into one day's rows of one kind.

Every faulty row is made to trigger exactly its reason code: the row is otherwise clean, so no
reason earlier in the contract's precedence applies (e.g. an unknown institution is only ever
injected in a column that is not the folder's source column, or it would be
``wrong_source_folder``; a contract's unknown institution is one of its hospital_codes). Rows
that other deliveries depend on (settlements that a later reversal cancels) are never touched,
and the first occurrence of a duplicated key stays clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import DATE_FORMATS, FILE_REASONS, REASON_CODES, Kind
from ingest.identity import CHECK_CHARS, check_char

ROW_REASONS = tuple(r for r in REASON_CODES if r not in FILE_REASONS)

RECORD_DATE = {
    "visits": "visit_date",
    "referrals": "referral_date",
    "claims": "settlement_date",
    "public_health": "service_date",
    "contracts": "sign_date",
}
BLANKABLE = {
    "visits": ("visit_id", "patient_id", "residence_region_code", "visit_date", "total_cost"),
    "referrals": ("referral_id", "to_institution_code", "patient_id", "referral_date", "status"),
    "claims": (
        "claim_id",
        "settlement_date",
        "institution_code",
        "patient_id",
        "insured_region_code",
        "insurance_scheme",
        "total_amount",
    ),
    "public_health": ("service_id", "patient_id", "service_date", "service_item"),
    "contracts": ("contract_id", "patient_id", "sign_date", "start_date", "end_date", "status"),
}
# Conditional columns: (flag of the rows that need it, the column). A faulty row that needs
# one is blanked there half of the time (a terminated contract without its terminated_date).
CONDITIONAL = {
    "visits": ("inpatient", "discharge_date"),
    "claims": ("reverse", "original_claim_id"),
    "contracts": ("terminated", "terminated_date"),
}
# On the first day (``force``) a reason's rows include one with this flag, if any is free.
FORCED_FLAG = {("contracts", "missing_required_value"): "terminated"}
BAD_ENUMS = {
    "visits": {"visit_type": ("day_surgery", "门急诊", "体检")},
    "referrals": {"status": ("pending", "已转出", "closed")},
    "claims": {
        "insurance_scheme": ("commercial", "商业保险"),
        "visit_type": ("emergency", "急诊"),
        "record_type": ("adjust", "调整"),
    },
    "public_health": {"service_item": ("family_doctor_contract", "家庭医生签约服务")},
    "contracts": {"status": ("pending", "expired", "待签约", "已过期")},
}
# Key populations outside the list, as a code and as a Chinese label (退役军人: veterans).
BAD_KEY_POPULATIONS = (("veteran", "退役军人"), ("general", "普通人群"))


@dataclass
class Batch:
    """One day's rows of one kind as strings, sorted by file, with what faults need to know."""

    kind: Kind
    day: date
    cols: dict[str, pa.Array]
    file_of_row: np.ndarray
    labels: np.ndarray  # per row: does its file write enum labels
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    blocked: np.ndarray | None = None  # rows that must stay clean
    faults: list[tuple[str, int]] = field(default_factory=list)  # (reason, row index)
    # Rows added at the end of a file (a repeated key, an orphan reversal), per file index:
    # the rows' columns and each added row's reason.
    extra: dict[int, tuple[dict[str, pa.Array], list[str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.file_of_row)

    def values(self, column: str, rows: np.ndarray) -> list[str | None]:
        return self.cols[column].take(pa.array(rows, type=pa.int64())).to_pylist()


class _Edits:
    """Collected value changes, applied column by column with one replace_with_mask each."""

    def __init__(self) -> None:
        self.by_column: dict[str, dict[int, str | None]] = {}

    def set(self, column: str, row: int, value: str | None) -> None:
        self.by_column.setdefault(column, {})[int(row)] = value

    def apply(self, batch: Batch) -> None:
        for column, changes in self.by_column.items():
            rows = np.array(sorted(changes), dtype=np.int64)
            mask = np.zeros(len(batch), dtype=bool)
            mask[rows] = True
            values = pa.array([changes[r] for r in rows], type=pa.string())
            batch.cols[column] = pc.replace_with_mask(batch.cols[column], pa.array(mask), values)


def applicable(reason: str, batch: Batch) -> np.ndarray | None:
    """Rows a reason can be injected into, or None when the kind cannot have it."""
    kind, n = batch.kind.name, len(batch)
    every = np.ones(n, dtype=bool)
    if reason == "wrong_source_folder":
        return every if batch.kind.source_column else None
    if reason == "unknown_institution":
        return every if kind in ("referrals", "claims", "contracts") else None
    if reason == "invalid_enum":
        return ~batch.flags["inpatient"] if kind == "visits" else every
    if reason == "invalid_amount":
        return every if kind in ("visits", "claims") else None
    if reason == "out_of_range":
        return batch.flags["bp"] | batch.flags["glucose"] if kind == "public_health" else None
    if reason == "orphan_reversal":
        return ~batch.flags["reverse"] if kind == "claims" else None
    return every


def choose_rows(
    batch: Batch, rng: np.random.Generator, rate: float, force: bool
) -> dict[str, np.ndarray]:
    """Disjoint rows per reason, each at ``rate``; with ``force`` at least one per reason."""
    free = np.ones(len(batch), dtype=bool) if batch.blocked is None else ~batch.blocked
    chosen: dict[str, np.ndarray] = {}
    for reason in ROW_REASONS:
        rows = applicable(reason, batch)
        if rows is None:
            continue
        candidates = free & rows
        pick = candidates & (rng.random(len(batch)) < rate)
        if force and not pick.any() and candidates.any():
            pick[rng.choice(np.flatnonzero(candidates))] = True
        flag = FORCED_FLAG.get((batch.kind.name, reason))
        if force and flag and not (pick & batch.flags[flag]).any():
            flagged = candidates & batch.flags[flag]
            if flagged.any():
                pick[rng.choice(np.flatnonzero(flagged))] = True
        free &= ~pick
        chosen[reason] = np.flatnonzero(pick)
    return chosen


def inject(
    batch: Batch, rng: np.random.Generator, rate: float, force: bool, other_sources: list[str]
) -> None:
    """Inject row faults into ``batch`` in place: edited rows go to batch.faults, added rows
    to batch.extra."""
    chosen = choose_rows(batch, rng, rate, force)
    edits = _Edits()
    added: list[tuple[str, int, dict[str, str | None]]] = []
    for reason, rows in chosen.items():
        if not len(rows):
            continue
        if reason == "duplicate_key":
            added += [(reason, r, {}) for r in rows]
        elif reason == "orphan_reversal":
            claim_ids = batch.values("claim_id", rows)
            added += [
                (reason, r, _orphan(batch, r, k, claim_id))
                for k, (r, claim_id) in enumerate(zip(rows, claim_ids, strict=True))
            ]
        else:
            _EDITORS[reason](batch, rows, rng, edits, other_sources)
            batch.faults += [(reason, int(r)) for r in rows]
    edits.apply(batch)
    if added:
        _add_rows(batch, added)


def _add_rows(batch: Batch, rows: list[tuple[str, int, dict[str, str | None]]]) -> None:
    """Copies of clean rows, changed as asked, to be written at the end of their file."""
    rows = sorted(rows, key=lambda row: (int(batch.file_of_row[row[1]]), row[1]))
    source = np.array([r for _, r, _ in rows], dtype=np.int64)
    copies = {c: v.take(pa.array(source)) for c, v in batch.cols.items()}
    for column in sorted({c for _, _, changes in rows for c in changes}):
        values = copies[column].to_pylist()
        for k, (_, _, changes) in enumerate(rows):
            if column in changes:
                values[k] = changes[column]
        copies[column] = pa.array(values, type=pa.string())
    files = batch.file_of_row[source]
    bounds = np.flatnonzero(np.diff(files, prepend=-1, append=-1))
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        part = {c: v.slice(start, stop - start) for c, v in copies.items()}
        batch.extra[int(files[start])] = (part, [reason for reason, _, _ in rows[start:stop]])


def _orphan(batch: Batch, row: int, k: int, claim_id: str | None) -> dict[str, str | None]:
    """A reversal whose original settlement never existed (serials 99xxxxx are never issued)."""
    bureau = (claim_id or "JS000000")[2:8]
    earlier = batch.day - timedelta(days=2)
    return {
        "record_type": "冲销" if batch.labels[row] else "reverse",
        "claim_id": f"CX{bureau}{batch.day:%Y%m%d}9{k:06d}",
        "original_claim_id": f"JS{bureau}{earlier:%Y%m%d}99{k:05d}",
    }


# Editors: one per row reason, each changing only what makes the row fail for that reason.
# Random choices are drawn once per call (``_draws``): there can be 100k faulty rows a day.


def _draws(rng: np.random.Generator, n: int, width: int = 2) -> list[list[int]]:
    """n rows of ``width`` random non-negative ints; take ``% k`` for a choice among k."""
    return rng.integers(0, 1 << 30, size=(n, width)).tolist()


def _wrong_source(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, others: list[str]
) -> None:
    column = batch.kind.source_column
    draws = _draws(rng, len(rows), 1)
    for row, current, (d,) in zip(rows, batch.values(column, rows), draws, strict=True):
        code = others[d % len(others)]
        edits.set(column, row, code if code != current else others[d % len(others) - 1])


def _missing(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    kind = batch.kind.name
    flag, conditional = CONDITIONAL.get(kind, (None, None))
    for row, (d, e) in zip(rows, _draws(rng, len(rows)), strict=True):
        columns = BLANKABLE[kind]
        if flag and batch.flags[flag][row] and e % 2 == 0:  # a row that needs the column
            columns = (conditional,)
        edits.set(columns[d % len(columns)], row, None)


def _bad_patient_id(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    values = batch.values("patient_id", rows)
    for row, pid, (variant, d) in zip(rows, values, _draws(rng, len(rows)), strict=True):
        if variant % 3 == 0:  # wrong check character
            wrong = CHECK_CHARS.replace(pid[17], "")
            value = pid[:17] + wrong[d % len(wrong)]
        elif variant % 3 == 1:  # one digit short
            value = pid[:17]
        else:  # month 13 with a correct check character: an impossible birth date
            first17 = pid[:10] + "13" + pid[12:17]
            value = first17 + check_char(first17)
        edits.set("patient_id", row, value)


def _unknown_institution(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    draws = _draws(rng, len(rows), 1)
    if batch.kind.name == "contracts":
        _unknown_hospital(batch, rows, draws, edits)
        return
    if batch.kind.name == "referrals":
        # Well formed but unregistered: referrals need the registry (serial 99xxx is unused).
        codes = batch.values("to_institution_code", rows)
        for row, code, (d,) in zip(rows, codes, draws, strict=True):
            edits.set("to_institution_code", row, f"H{code[1:7]}99{d % 1000:03d}")
        return
    # Claims accept any well-formed national code, so these are malformed.
    for row, code, (d,) in zip(rows, batch.values("institution_code", rows), draws, strict=True):
        variants = (code[:7] + "-" + code[7:], code[:-1], "Y" + code[1:])
        edits.set("institution_code", row, variants[d % 3])


def _malformed(code: str, d: int) -> str:
    """An institution code neither registered nor a well-formed national code."""
    return (code[:7] + "-" + code[7:], code[:-1], "Y" + code[1:])[d % 3]


def _unknown_hospital(
    batch: Batch, rows: np.ndarray, draws: list[list[int]], edits: _Edits
) -> None:
    """A malformed code among a contract's hospital_codes (the only code on a row naming none)."""
    lists = batch.values("hospital_codes", rows)
    codes = batch.values("institution_code", rows)
    for row, listed, code, (d,) in zip(rows, lists, codes, draws, strict=True):
        items = listed.split(";") if listed else []
        if items:
            k = d // 3 % len(items)
            items[k] = _malformed(items[k], d)
        else:
            items = [_malformed(code, d)]
        edits.set("hospital_codes", row, ";".join(items))


def _bad_enum(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    if batch.kind.name == "contracts":
        _bad_contract_enum(batch, rows, rng, edits)
        return
    options = BAD_ENUMS[batch.kind.name]
    reverse = batch.flags.get("reverse")
    for row, (a, b) in zip(rows, _draws(rng, len(rows)), strict=True):
        columns = [c for c in options if not (c == "record_type" and reverse[row])]
        values = options[columns[a % len(columns)]]
        edits.set(columns[a % len(columns)], row, values[b % len(values)])


def _bad_contract_enum(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits
) -> None:
    """A status outside the enum, a key population outside the list (added with the file's
    separator, as a code or a label like the file's), or three hospitals (all well formed)."""
    keys = batch.values("key_populations", rows)
    hospitals = batch.values("hospital_codes", rows)
    codes = batch.values("institution_code", rows)
    statuses = BAD_ENUMS["contracts"]["status"]
    for row, key, listed, code, (a, b) in zip(
        rows, keys, hospitals, codes, _draws(rng, len(rows)), strict=True
    ):
        if a % 3 == 0:
            edits.set("status", row, statuses[b % len(statuses)])
        elif a % 3 == 1:
            bad = BAD_KEY_POPULATIONS[b % 2][int(batch.labels[row])]
            separator = ";,、"[int(batch.flags["separator"][row])]
            edits.set("key_populations", row, f"{key}{separator}{bad}" if key else bad)
        else:
            items = listed.split(";") if listed else []
            spare = [f"{code[:7]}{90001 + k:05d}" for k in range(3)]
            items += [c for c in spare if c not in items][: 3 - len(items)]
            edits.set("hospital_codes", row, ";".join(items))


def _bad_date(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    if batch.kind.name == "contracts":
        _bad_contract_date(batch, rows, rng, edits)
        return
    column, day = RECORD_DATE[batch.kind.name], batch.day
    unparseable = (f"{day.year}-02-30", f"{day.year}/13/01", f"{day.year}1301")
    for row, (variant, d) in zip(rows, _draws(rng, len(rows)), strict=True):
        if variant % 3 == 0:  # after the business date
            value = (day + timedelta(days=1 + d % 29)).isoformat()
        elif variant % 3 == 1:  # more than 366 days before it
            value = (day - timedelta(days=400 + d % 400)).isoformat()
        else:  # not a date in any accepted format
            value = unparseable[d % 3]
        edits.set(column, row, value)


def _bad_contract_date(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits
) -> None:
    """The record-date faults on sign_date, an end_date before the start_date, an unparseable
    start_date, or (terminated contracts) a terminated_date after the business date."""
    day = batch.day
    unparseable = (f"{day.year}-02-30", f"{day.year}/13/01", f"{day.year}1301")
    starts = batch.values("start_date", rows)
    terminated = batch.flags["terminated"]
    for row, start, (variant, d) in zip(rows, starts, _draws(rng, len(rows)), strict=True):
        variant %= 6 if terminated[row] else 5
        if variant == 0:  # signed after the business date
            edits.set("sign_date", row, (day + timedelta(days=1 + d % 29)).isoformat())
        elif variant == 1:  # signed more than 366 days before it
            edits.set("sign_date", row, (day - timedelta(days=400 + d % 400)).isoformat())
        elif variant == 2:
            edits.set("sign_date", row, unparseable[d % 3])
        elif variant == 3:  # the service ends before it starts
            first = _parse_date(start)
            edits.set("end_date", row, (first - timedelta(days=1 + d % 60)).isoformat())
        elif variant == 4:
            edits.set("start_date", row, unparseable[d % 3])
        else:
            edits.set("terminated_date", row, (day + timedelta(days=1 + d % 20)).isoformat())


def _parse_date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _bad_amount(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    draws = _draws(rng, len(rows), 1)
    if batch.kind.name == "visits":
        costs = batch.values("total_cost", rows)
        for row, cost, (d,) in zip(rows, costs, draws, strict=True):
            edits.set("total_cost", row, (f"-{cost}", f"{cost}1", f"{cost}元")[d % 3])
        return
    totals = batch.values("total_amount", rows)
    personal = batch.values("personal_paid", rows)
    for row, total, paid, (d,) in zip(rows, totals, personal, draws, strict=True):
        if d % 3 == 0:  # parts do not add up
            edits.set("personal_paid", row, f"{_decimal(paid) + Decimal('10.00'):.2f}")
        elif d % 3 == 1:  # negative total
            edits.set("total_amount", row, f"-{total}")
        else:  # unparseable
            edits.set("fund_paid", row, "1,2.5")


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def _out_of_range(
    batch: Batch, rows: np.ndarray, rng: np.random.Generator, edits: _Edits, _: list[str]
) -> None:
    for row, (a, b) in zip(rows, _draws(rng, len(rows)), strict=True):
        if batch.flags["bp"][row]:
            if batch.flags["dbp"][row] and a % 5 < 2:
                edits.set("diastolic_bp", row, ("210", "25")[b % 2])
            else:
                edits.set("systolic_bp", row, ("310", "45")[b % 2])
        else:
            edits.set("fasting_glucose", row, ("45.0", "0.5")[b % 2])


_EDITORS = {
    "wrong_source_folder": _wrong_source,
    "missing_required_value": _missing,
    "invalid_patient_id": _bad_patient_id,
    "unknown_institution": _unknown_institution,
    "invalid_enum": _bad_enum,
    "invalid_date": _bad_date,
    "invalid_amount": _bad_amount,
    "out_of_range": _out_of_range,
}
