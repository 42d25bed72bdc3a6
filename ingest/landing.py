"""The landing zone: which delivered files exist, and their manifests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from ingest.contract import KINDS

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx")
MANIFEST = "_manifest.json"


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


def discover(landing: Path) -> list[LandingFile]:
    """Every extract file under <landing>/<YYYY-MM-DD>/<source_code>/, oldest first.

    Anything else in a date folder (an unknown file name, a stray folder) is logged, never
    silently ignored: the consortium office must hear about files that will not be read.
    """
    found: list[LandingFile] = []
    for date_dir in sorted(
        p for p in Path(landing).iterdir() if p.is_dir() and p.name != "reference"
    ):
        try:
            business_date = dt.date.fromisoformat(date_dir.name)
        except ValueError:
            log.warning(
                "landing: folder %s is not a YYYY-MM-DD business date; not read", date_dir.name
            )
            continue
        for source_dir in sorted(p for p in date_dir.iterdir() if p.is_dir()):
            for path in sorted(source_dir.iterdir()):
                stem, suffix = path.stem, path.suffix.lower()
                if path.name == MANIFEST:
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
        entry = json.loads(path.read_text(encoding="utf-8-sig"))["files"].get(
            landing_file.file_name
        )
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        log.warning(
            "landing: %s cannot be read (%s); its files are not checked against it", path, exc
        )
        return None
    return entry if isinstance(entry, dict) else None
