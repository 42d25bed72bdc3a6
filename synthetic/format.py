"""How each source writes its files, and typed records turned into the strings they carry.

A source's export format is stable from day to day (its HIS is configured once): encoding,
line ends, canonical or Chinese headers, enum codes or Chinese labels, date format, column
order, optional columns left out, CSV or XLSX, the separator of list cells. Every one of these is allowed by the contract;
a name column and an unknown extra column (dropped at ingest) appear only when faults are asked
for. The string conversion is vectorised over the whole day; styles vary per row through
per-file arrays repeated over each file's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import DATE_FORMATS, KEY_POPULATIONS, KINDS, SEX, Column, Kind
from synthetic.records import DEPARTMENTS, DIAGNOSES, KEY_CODES, Records
from synthetic.world import ITEM_NAMES, World

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
NAME_HEADERS = ("姓名", "患者姓名", "name", "patient_name")
EXTRA_HEADERS = ("备注", "操作员工号", "his_version")
# Optional columns a source may leave out (BP and glucose stay: the control KPIs need them).
OMITTABLE = {
    "visits": ("sex", "birth_date", "department", "diagnosis_code"),
    "referrals": ("diagnosis_code",),
    "claims": ("visit_id",),
    "public_health": (),
    "contracts": ("team_code",),
}
CONDITIONAL = {
    "visits": "discharge_date",
    "claims": "original_claim_id",
    "contracts": "terminated_date",
}
# Separators of the items of a list cell (key populations), as the contract allows them.
SEPARATORS = (";", ",", "、")
assert set("".join(SEPARATORS)) == set(KINDS["contracts"].column("key_populations").separators)


@dataclass(frozen=True)
class FileStyle:
    fmt: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | gb18030
    crlf: bool = False
    chinese: bool = False  # Chinese alias headers
    labels: bool = False  # enum values as Chinese labels
    date_format: int = 0  # index into contract.DATE_FORMATS
    columns: tuple[str, ...] = ()  # canonical names in written order
    headers: tuple[str, ...] = ()  # what the header row says, parallel to columns
    omit_conditional: bool = False  # leave out discharge_date/original_claim_id if unneeded
    name_column: str | None = None
    extra_column: str | None = None
    separator: int = 0  # index into SEPARATORS, for list cells

    @property
    def extension(self) -> str:
        return self.fmt


def plain_style(kind: Kind) -> FileStyle:
    names = tuple(c.name for c in kind.columns)
    return FileStyle(columns=names, headers=names)


def draw_style(rng: np.random.Generator, kind: Kind, small: bool, extras: bool) -> FileStyle:
    """One source's export format for one kind."""
    chinese = rng.random() < 0.4
    # Chinese Windows exports are often GB18030 with Chinese headers and labels. A GB18030
    # file always has Chinese headers: with only a few Chinese cells its encoding could not be
    # told from others reliably (charset detection needs text to work on).
    encoding = ENCODINGS[rng.choice(3, p=[0.35, 0.25, 0.4] if chinese else [0.85, 0.15, 0.0])]
    columns = [
        c.name for c in kind.columns if c.name not in OMITTABLE[kind.name] or rng.random() > 0.15
    ]
    if rng.random() < 0.25:
        columns = list(rng.permutation(columns))
    style = FileStyle(
        fmt="xlsx" if small and rng.random() < 0.08 else "csv",
        encoding=encoding,
        crlf=bool(rng.random() < 0.25),
        chinese=bool(chinese),
        labels=bool(rng.random() < (0.7 if chinese else 0.1)),
        date_format=int(rng.choice(3, p=[0.7, 0.15, 0.15])),
        columns=tuple(str(c) for c in columns),
        omit_conditional=bool(rng.random() < 0.3),
        name_column=str(rng.choice(NAME_HEADERS)) if extras and rng.random() < 0.1 else None,
        extra_column=str(rng.choice(EXTRA_HEADERS)) if extras and rng.random() < 0.08 else None,
    )
    if any(c.separators and c.labels for c in kind.columns):
        # Chinese labels are mostly listed with 、, codes with ; or ,
        weights = [0.25, 0.15, 0.6] if style.labels else [0.65, 0.35, 0.0]
        style = replace(style, separator=int(rng.choice(3, p=weights)))
    return with_headers(style, kind, rng)


def with_headers(style: FileStyle, kind: Kind, rng: np.random.Generator) -> FileStyle:
    headers = []
    for name in style.columns:
        column = kind.column(name)
        alias = column.aliases[int(rng.integers(len(column.aliases)))]
        headers.append(alias if style.chinese else name)
    return replace(style, headers=tuple(headers))


def force_features(
    styles: dict[tuple[str, str], FileStyle],
    small_sources: list[str],
    extras: bool,
    rng: np.random.Generator,
) -> None:
    """Make sure every allowed variant appears at least once (in visits, delivered daily)."""
    kind = KINDS["visits"]
    every = [c.name for c in kind.columns]
    features = [
        {"fmt": "xlsx"},
        {"encoding": "gb18030", "chinese": True, "labels": True},
        {"encoding": "utf-8-sig", "crlf": True},
        {"date_format": 1, "columns": tuple(reversed(every))},
        {"date_format": 2, "omit_conditional": True},
    ]
    if extras:
        features += [{"name_column": "姓名"}, {"extra_column": "备注"}]
    for source, changes in zip(small_sources, features, strict=False):
        style = replace(styles[("visits", source)], **changes)
        styles[("visits", source)] = with_headers(style, kind, rng)


# Typed records -> strings --------------------------------------------------------------------


def enum_strings(index: np.ndarray, column: Column, labels: np.ndarray) -> pa.Array:
    """Enum codes, or their Chinese labels on rows whose file writes labels; -1 is null."""
    codes = list(column.labels)
    dictionary = pa.array(codes + [column.labels[c] for c in codes])
    index = np.asarray(index, dtype=np.int32)
    shifted = index + labels.astype(np.int32) * len(codes)
    return _lookup(shifted, dictionary, index < 0)


def code_strings(index: np.ndarray, values: list[str] | tuple[str, ...]) -> pa.Array:
    index = np.asarray(index)
    return _lookup(index, pa.array(list(values)), index < 0)


def _lookup(index: np.ndarray, dictionary: pa.Array, null: np.ndarray) -> pa.Array:
    indices = pa.array(np.where(null, 0, index).astype(np.int32), mask=null if null.any() else None)
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def date_strings(days: np.ndarray, formats: np.ndarray) -> pa.Array:
    """Epoch days as YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD per row; negative days are null.

    Formats each distinct day once (a dictionary over the days' range, three spellings
    each) instead of formatting millions of rows."""
    days = np.asarray(days, dtype=np.int64)
    null = days < 0
    valid = days[~null]
    first = int(valid.min()) if len(valid) else 0
    span = int(valid.max()) - first + 1 if len(valid) else 1
    iso = (
        pa.array(np.arange(first, first + span, dtype=np.int32)).cast(pa.date32()).cast(pa.string())
    )
    spellings = [iso, pc.replace_substring(iso, "-", "/"), pc.replace_substring(iso, "-", "")]
    assert list(DATE_FORMATS) == ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
    dictionary = pa.concat_arrays(spellings)
    index = days - first + span * np.asarray(formats, dtype=np.int64)
    return _lookup(index, dictionary, null)


def decimal_strings(units: np.ndarray, places: int) -> pa.Array:
    """Integers in units of 10^-places as decimal text (cents -> '12.30'); negative is null."""
    units = np.asarray(units, dtype=np.int64)
    null = units < 0
    mask = null if null.any() else None
    scale = 10**places
    whole = pa.array(units // scale, mask=mask).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(units % scale, mask=mask).cast(pa.string()), places, "0")
    return pc.binary_join_element_wise(whole, frac, ".")


def key_population_strings(
    mask: np.ndarray, labels: np.ndarray, separators: np.ndarray
) -> pa.Array:
    """Key-population bitmasks (bit k: KEY_CODES[k]) as lists of codes or Chinese labels with
    each row's separator; 0 is an empty cell. Each distinct (list, style) is joined once."""
    mask = np.asarray(mask, dtype=np.int64)
    combined = mask * 6 + np.asarray(labels, dtype=np.int64) * 3 + np.asarray(separators)
    unique, inverse = np.unique(combined, return_inverse=True)
    texts = []
    for value in unique.tolist():
        bits, style = divmod(value, 6)
        chinese, separator = divmod(style, 3)
        items = [c for k, c in enumerate(KEY_CODES) if bits >> k & 1]
        texts.append(
            SEPARATORS[separator].join(KEY_POPULATIONS[c] if chinese else c for c in items)
        )
    return _lookup(inverse.reshape(-1), pa.array(texts, pa.string()), mask == 0)


def code_lists(first: np.ndarray, second: np.ndarray, codes: list[str]) -> pa.Array:
    """Up to two institution codes per row, joined by ';' (-1: none; neither: empty cell).
    Each distinct pair is joined once."""
    first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
    pairs = (first + 1) * (len(codes) + 1) + (second + 1)
    unique, inverse = np.unique(pairs, return_inverse=True)
    texts = []
    for pair in unique.tolist():
        a, b = divmod(pair, len(codes) + 1)
        texts.append(";".join(codes[k - 1] for k in (a, b) if k))
    return _lookup(inverse.reshape(-1), pa.array(texts, pa.string()), (first < 0) & (second < 0))


def int_strings(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    null = values < 0
    return pa.array(values, mask=null if null.any() else None).cast(pa.string())


_SEX_CODES = tuple(code for code in SEX if code.isdigit())


class _Cells:
    """Converters from a Records' typed columns, with the rows' label and date styles."""

    def __init__(
        self,
        rec: Records,
        world: World,
        labels: np.ndarray,
        dates: np.ndarray,
        separators: np.ndarray,
    ):
        self.kind, self.c, self.world = KINDS[rec.kind], rec.cols, world
        self.labels, self.dates, self.separators = labels, dates, separators

    def enum(self, column: str, typed: str) -> pa.Array:
        return enum_strings(self.c[typed], self.kind.column(column), self.labels)

    def date(self, typed: str) -> pa.Array:
        return date_strings(self.c[typed], self.dates)

    def institution(self, typed: str) -> pa.Array:
        return code_strings(self.c[typed], self.world.codes)

    def region(self, typed: str) -> pa.Array:
        return code_strings(self.c[typed], self.world.region_codes)

    def money(self, cents: np.ndarray) -> pa.Array:
        return decimal_strings(cents, 2)


def _visits(x: _Cells) -> dict[str, pa.Array]:
    c = x.c
    return {
        "visit_id": c["visit_id"],
        "institution_code": x.institution("institution"),
        "patient_id": c["patient_id"],
        "sex": x.enum("sex", "sex"),  # typed 0/1 index ("1", "2"): male, female
        "birth_date": x.date("birth_date"),
        "residence_region_code": x.region("region"),
        "visit_type": x.enum("visit_type", "visit_type"),
        "visit_date": x.date("visit_date"),
        "discharge_date": x.date("discharge_date"),
        "department": code_strings(c["department"], DEPARTMENTS),
        "diagnosis_code": code_strings(c["diagnosis"], DIAGNOSES),
        "total_cost": x.money(c["total_cents"]),
    }


def _referrals(x: _Cells) -> dict[str, pa.Array]:
    c = x.c
    return {
        "referral_id": c["referral_id"],
        "from_institution_code": x.institution("from"),
        "to_institution_code": x.institution("to"),
        "patient_id": c["patient_id"],
        "referral_date": x.date("referral_date"),
        "status": x.enum("status", "status"),
        "diagnosis_code": code_strings(c["diagnosis"], DIAGNOSES),
    }


def _claims(x: _Cells) -> dict[str, pa.Array]:
    c = x.c
    return {
        "claim_id": c["claim_id"],
        "record_type": x.enum("record_type", "record_type"),
        "original_claim_id": c["original_claim_id"],
        "settlement_date": x.date("settlement_date"),
        "institution_code": x.institution("institution"),
        "visit_id": c["visit_id"],
        "patient_id": c["patient_id"],
        "insured_region_code": x.region("region"),
        "insurance_scheme": x.enum("insurance_scheme", "scheme"),
        "visit_type": x.enum("visit_type", "claim_type"),
        "total_amount": x.money(c["total_cents"]),
        "fund_paid": x.money(c["fund_cents"]),
        "personal_paid": x.money(c["total_cents"] - c["fund_cents"]),
    }


def _public_health(x: _Cells) -> dict[str, pa.Array]:
    c = x.c
    return {
        "service_id": c["service_id"],
        "institution_code": x.institution("institution"),
        "patient_id": c["patient_id"],
        "service_date": x.date("service_date"),
        "service_item": x.enum("service_item", "item"),
        "systolic_bp": int_strings(c["sbp"]),
        "diastolic_bp": int_strings(c["dbp"]),
        "fasting_glucose": decimal_strings(c["glucose"], 1),
    }


def _contracts(x: _Cells) -> dict[str, pa.Array]:
    c = x.c
    return {
        "contract_id": c["contract_id"],
        "institution_code": x.institution("institution"),
        "team_code": code_strings(c["team"], x.world.team_codes),
        "patient_id": c["patient_id"],
        "sign_date": x.date("sign_date"),
        "start_date": x.date("start_date"),
        "end_date": x.date("end_date"),
        "status": x.enum("status", "status"),
        "terminated_date": x.date("terminated_date"),
        "key_populations": key_population_strings(c["key_pop"], x.labels, x.separators),
        "hospital_codes": code_lists(c["hosp1"], c["hosp2"], x.world.codes),
    }


_CONVERTERS = {
    "visits": _visits,
    "referrals": _referrals,
    "claims": _claims,
    "public_health": _public_health,
    "contracts": _contracts,
}
# The typed indices above rely on the contract's code order.
assert tuple(KINDS["visits"].column("sex").labels) == _SEX_CODES
assert tuple(KINDS["public_health"].column("service_item").labels) == ITEM_NAMES


def to_strings(
    rec: Records,
    world: World,
    labels: np.ndarray,
    dates: np.ndarray,
    separators: np.ndarray | None = None,
) -> dict[str, pa.Array]:
    """All contract columns of a kind as string arrays (null = empty cell), in contract order.
    ``separators`` (index into SEPARATORS per row) is for kinds with list cells."""
    if separators is None:
        separators = np.zeros(len(rec), dtype=np.int64)
    out = _CONVERTERS[rec.kind](_Cells(rec, world, labels, dates, separators))
    assert list(out) == [col.name for col in KINDS[rec.kind].columns]
    return {name: _chunk(values) for name, values in out.items()}


def _chunk(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
