"""Synthetic residents for the generator: stable per region, valid GB 11643 IDs, never real people.

A person is a point (region, birth day, s, male) of a fixed grid: the birth day runs over the
hundred calendar years before the generation's start year, ``s`` over ``0..S-1`` with ``S`` sized
from the region's population, and the ID's 3-digit sequence is ``2*s + male`` (odd = male, as
GB 11643 has it). The same grid point is the same person on every day of a generation, so
follow-ups, referrals and claims of one person line up; no population table is materialised,
which keeps a province of 150M people cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from ingest.identity import CHECK_CHARS, WEIGHTS

_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_CHECK_ASCII = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)
MAX_S = 500  # 3-digit sequence 2*s + male stays below 1000


@dataclass(frozen=True, eq=False)
class BirthGrid:
    """Birth days 0..days-1 counted from ``first`` (1 Jan, 100 years before the start year)."""

    first: np.datetime64
    days: int
    start_year: int

    date_digits: np.ndarray  # (days, 8) ASCII YYYYMMDD of each grid day
    date_sums: np.ndarray  # each grid day's contribution to the ID's weighted check sum

    @classmethod
    def for_start(cls, start: date) -> BirthGrid:
        first = np.datetime64(f"{start.year - 100:04d}-01-01")
        last = np.datetime64(f"{start.year - 1:04d}-12-31")
        days = int((last - first).astype(int)) + 1
        births = first + np.arange(days).astype("timedelta64[D]")
        text = np.datetime_as_string(births, unit="D").astype("S10")
        chars = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(days, 10)
        date_digits = np.ascontiguousarray(chars[:, [0, 1, 2, 3, 5, 6, 8, 9]])
        sums = (date_digits.astype(np.int64) - 48) @ _WEIGHTS[6:14]
        return cls(first, days, start.year, date_digits, sums)

    @property
    def first_epoch_day(self) -> int:
        return int(self.first.astype(np.int64))

    def day_range(self, age_lo: int, age_hi: int) -> tuple[int, int]:
        """Grid days of people aged ``age_lo..age_hi`` (years, inclusive) at the start year."""
        born_hi = np.datetime64(f"{self.start_year - 1 - age_lo:04d}-12-31")
        born_lo = np.datetime64(
            f"{max(self.start_year - 1 - age_hi, self.start_year - 100):04d}-01-01"
        )
        lo = int((born_lo - self.first).astype(int))
        hi = int((born_hi - self.first).astype(int)) + 1
        return lo, hi


def s_count(population: int, grid: BirthGrid) -> int:
    """How many sequence slots a region needs so that the grid holds its population."""
    return int(min(MAX_S, max(1, -(-population // (2 * grid.days)))))


def region_digits(codes: list[str]) -> np.ndarray:
    """(n_regions, 6) ASCII digit matrix of 6-digit region codes."""
    return np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 6).copy()


_DIGITS4 = ((np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1])) % 10 + 48).astype(np.uint8)


def ascii_digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) ASCII digits of non-negative integers, zero-padded (4 digits per lookup)."""
    rest = np.asarray(values, dtype=np.int64)
    out = np.empty((len(rest), width), dtype=np.uint8)
    end = width
    while end > 0:
        take = min(4, end)
        out[:, end - take : end] = _DIGITS4[rest % 10_000][:, 4 - take :]
        rest = rest // 10_000
        end -= take
    return out


def fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """A pyarrow string array over the rows of an (n, width) ASCII matrix, without copying
    per row (building 3M IDs through Python strings would take seconds)."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def days_for_ages(rng: np.random.Generator, grid: BirthGrid, ages: np.ndarray) -> np.ndarray:
    """A uniformly random grid day inside each age's birth year (age at the start year)."""
    years = (grid.start_year - 1 - np.arange(100) - 1970).astype("datetime64[Y]")
    year_first = years.astype("datetime64[D]")
    year_len = ((years + 1).astype("datetime64[D]") - year_first).astype(np.int64)
    offset = (year_first - grid.first).astype(np.int64)
    return offset[ages] + (rng.random(len(ages)) * year_len[ages]).astype(np.int64)


def patient_ids(
    digits: np.ndarray, region: np.ndarray, grid: BirthGrid, day: np.ndarray, seq3: np.ndarray
) -> pa.Array:
    """18-character resident IDs: region(6) + birth YYYYMMDD + sequence(3) + check character.
    The check digit is a weighted sum, so it is assembled from per-part lookups."""
    n = len(region)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :6] = digits[region]
    out[:, 6:14] = grid.date_digits[day]
    out[:, 14:17] = ascii_digits(seq3, 3)
    region_sum = (digits.astype(np.int64) - 48) @ _WEIGHTS[:6]
    seq_sum = (ascii_digits(np.arange(1000), 3).astype(np.int64) - 48) @ _WEIGHTS[14:17]
    check = (region_sum[region] + grid.date_sums[day] + seq_sum[seq3]) % 11
    out[:, 17] = _CHECK_ASCII[check]
    return fixed_width_strings(out)


def cohort_people(
    grid: BirthGrid,
    s_slots: np.ndarray,
    region: np.ndarray,
    salt: np.ndarray,
    j: np.ndarray,
    age: tuple[int, int],
    female_only: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The j-th member of a stable cohort (e.g. an institution's hypertensive patients).

    A multiplicative hash of (salt, j) spreads cohort members over the age band and the region's
    sequence slots, so the same j is the same person every day. Returns (day, s, male).
    """
    lo, hi = grid.day_range(*age)
    span = hi - lo
    sexes = 1 if female_only else 2
    modulus = span * s_slots[region] * sexes
    t = (j.astype(np.int64) * 2_654_435_761 + salt.astype(np.int64) * 40_503) % modulus
    day = lo + t % span
    rest = t // span
    male = np.zeros(len(j), dtype=np.int64) if female_only else rest % 2
    return day, rest // sexes, male
