"""The landing zone: which delivered files exist, and their manifests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.contract import KINDS

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx")
MANIFEST = "_manifest.json"
MAX_MANIFEST_BYTES = 2**20


@dataclass(frozen=True)
class LandingFile:
    path: Path
    business_date: dt.date
    source_code: str
    kind: str
    size: int
    mtime_ns: int

    @property
    def file_name(self) -> str:
        return self.path.name

    def relative_to(self, landing: Path) -> str:
        return str(self.path.relative_to(landing))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Only this names a business date (`date.fromisoformat` also takes 20240302 and 2024-W09-7).
DATE_FOLDER = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A business date more than this far ahead of today is a typo (2204 for 2024), refused: it
# would otherwise enter the audit for good. Old dates are backfills and are welcome.
MAX_DAYS_AHEAD = 2


def business_date_of(name: str, today: dt.date | None = None) -> dt.date | None:
    """The business date a folder name gives, or None (logged) when it gives none."""
    if not DATE_FOLDER.fullmatch(name):
        log.warning("landing: folder %r is not a YYYY-MM-DD business date; not read", name)
        return None
    try:
        day = dt.date.fromisoformat(name)
    except ValueError:
        log.warning("landing: folder %r is not a calendar date; not read", name)
        return None
    if day > (today or dt.date.today()) + dt.timedelta(days=MAX_DAYS_AHEAD):
        log.warning("landing: folder %r is a business date in the future; not read", name)
        return None
    return day


def _inside(path: Path, root: Path) -> bool:
    """Symlinks are followed only when they stay inside the landing zone."""
    if not path.is_symlink() and not any(p.is_symlink() for p in path.parents if p != root):
        return True
    resolved = path.resolve()
    if resolved.is_relative_to(root.resolve()):
        return True
    log.warning(
        "landing: %s is a symlink to %s, outside the landing zone; not read", path, resolved
    )
    return False


def discover(landing: Path) -> list[LandingFile]:
    """Every extract file under <landing>/<YYYY-MM-DD>/<source_code>/, oldest first.

    Anything else in a date folder (an unknown file name, a stray folder) is logged, never
    silently ignored: the consortium office must hear about files that will not be read.
    Names are data: never a pattern, never SQL.
    """
    found: list[LandingFile] = []
    root = Path(landing)
    for date_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "reference"):
        business_date = business_date_of(date_dir.name)
        if business_date is None or not _inside(date_dir, root):
            continue
        for source_dir in sorted(p for p in date_dir.iterdir() if p.is_dir()):
            if not _inside(source_dir, root):
                continue
            for path in sorted(source_dir.iterdir()):
                stem, suffix = path.stem, path.suffix.lower()
                if path.name == MANIFEST:
                    continue
                if not _inside(path, root):
                    continue
                if stem not in KINDS or suffix not in SUFFIXES or not path.is_file():
                    log.warning(
                        "landing: %s is not an extract file of the contract; not read", path
                    )
                    continue
                stat = path.stat()
                found.append(
                    LandingFile(
                        path, business_date, source_dir.name, stem, stat.st_size, stat.st_mtime_ns
                    )
                )
    return sorted(
        found, key=lambda f: (f.business_date, f.kind, f.source_code, f.mtime_ns, f.file_name)
    )


def manifest_entry(landing_file: LandingFile) -> dict | None:
    """The control totals `_manifest.json` gives for this file, if any."""
    path = landing_file.path.parent / MANIFEST
    if not path.exists():
        return None
    try:
        if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ValueError("not a regular file of at most 1 MiB")
        entry = json.loads(path.read_text(encoding="utf-8-sig"))["files"].get(
            landing_file.file_name
        )
        if entry is None:
            return None
        if not isinstance(entry, dict):
            raise ValueError(f"the entry of {landing_file.file_name} is not an object")
        rows, sha = entry.get("rows"), entry.get("sha256")
        if rows is not None and (type(rows) is not int or rows < 0):
            raise ValueError(f"rows {rows!r} is not a whole number")
        if sha is not None and not isinstance(sha, str):
            raise ValueError(f"sha256 {sha!r} is not text")
    except (ValueError, KeyError, AttributeError, TypeError, OSError, RecursionError) as exc:
        log.warning(
            "landing: %s cannot be used (%s); its files are not checked against it", path, exc
        )
        return None
    return entry
