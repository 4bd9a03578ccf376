"""A disk cache of pruned feature plans (``taxloop.features.plan``), so a scan of chosen rules does not parse.

Planning a pruned build parses the feature SQL and the rules' SQL with sqlglot and proves row-set blindness: 0.3 s
in a fresh process at 100k taxpayers (0.085 s when the parses are already in memory), a sizeable share of a scan of
ten indicators. The plan is a pure function of its inputs, so it is kept on disk under a key that holds all of
them: the rules (code, SQL, default and override parameters), the source tables present (those the feature SQL
reads: other tables coming and going, such as a scan's own hits, change nothing), the bucket count and the largest
TIN key the buckets split, the relations standing for keyed tables, the versions of taxloop, sqlglot and DuckDB,
and a fingerprint of the source files that make a plan (feature SQL, pruner, rule compiler, contract, keys). Any
change of any of them is a new key: an entry is never stale, only unused. Entries are JSON (SQL text and column
lists), written atomically (a temporary file renamed into place), so concurrent scans at worst write the same entry
twice. A corrupt or unreadable entry is ignored and planned anew, and so is one in a file or folder owned by
another user or writable by others (entries are SQL the scan runs; new folders are made private). Where the cache
lives: setting ``plan_cache`` (environment ``TAXLOOP_PLAN_CACHE``): a folder, empty for
``$XDG_CACHE_HOME/taxloop/plans`` (``~/.cache/...``), ``off`` for none.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

import taxloop
from taxloop.rules.spec import RuleSpec

#: Bumped when the entry layout changes.
FORMAT = 1
#: Package folders and files whose source decides a plan (their bytes go into every key).
_SOURCES = ("features", "features/sql", "rules", "contract", "analytics/keys.py", "sqltext.py")


def cache_dir(setting: str) -> Path | None:
    """The cache folder for the ``plan_cache`` setting (module doc); None when the cache is off."""
    if setting.strip().lower() == "off":
        return None
    if setting.strip():
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "taxloop" / "plans"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the package source files that decide a plan (``_SOURCES``), read once per process."""
    root = resources.files("taxloop")
    digest = hashlib.sha256(taxloop.__version__.encode())
    for name in _SOURCES:
        node = root.joinpath(name)
        files = sorted((f for f in node.iterdir() if f.is_file()), key=lambda f: f.name) if node.is_dir() else [node]
        for f in files:
            if f.name.endswith((".py", ".sql", ".yaml")):
                digest.update(f"{name}/{f.name}".encode())
                digest.update(f.read_bytes())
    return digest.hexdigest()


def _params(values: Mapping[str, Any]) -> list[list[str]]:
    # type and repr: 1, 1.0 and True are equal in Python but give different SQL literals
    return [[k, type(v).__name__, repr(v)] for k, v in sorted(values.items())]


def plan_key(
    specs: Sequence[RuleSpec],
    present: set[str],
    parts: tuple[int, int],
    relations: Mapping[str, str],
    months: frozenset[str] = frozenset(),
) -> str:
    """The cache key of a pruned plan: a hash of every input the plan depends on (module doc); ``parts`` are the
    number of buckets and the largest TIN key they split (``taxloop.features.build.bucket_sql``)."""
    rules = [[s.code, s.sql, _params(s.defaults()), [_params(o.params) for o in s.overrides]] for s in specs]
    inputs = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "versions": [taxloop.__version__, version("sqlglot"), duckdb.__version__],
        "present": sorted(present),
        "buckets": list(parts),
        "relations": sorted(relations.items()),
        "months": sorted(months),
        "rules": rules,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _own(path: Path) -> bool:
    """Whether ``path`` may be trusted as this user's own: owned by this user, writable by no one else (an entry
    is SQL the scan runs). Always True where the platform has no owners (Windows)."""
    if not hasattr(os, "getuid"):
        return True
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def read_entry(folder: Path, key: str) -> dict[str, Any] | None:
    """The entry stored under ``key``, or None (absent, unreadable, not a JSON object, or in a file or folder
    someone else owns or may write: see ``_own``)."""
    path = folder / f"{key}.json"
    try:
        if not (_own(folder) and _own(path)):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_entry(folder: Path, key: str, entry: dict[str, Any]) -> None:
    """Store ``entry`` under ``key`` atomically (a new folder is private to this user); a folder that cannot be
    written leaves the cache unused, and a failed write leaves no temporary file."""
    tmp = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(entry, out, ensure_ascii=False)
        os.replace(tmp, folder / f"{key}.json")
        tmp = None
    except OSError:
        return
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def cached(
    folder: Path | None,
    key: Callable[[], str],
    make: Callable[[], dict[str, Any]],
    valid: Callable[[dict[str, Any]], bool],
) -> tuple[dict[str, Any], bool]:
    """The entry under ``key()`` in ``folder`` when ``valid`` accepts it, else ``make()`` stored there; and whether
    it came from the cache. With no folder, always ``make()``."""
    if folder is None:
        return make(), False
    name = key()
    entry = read_entry(folder, name)
    if entry is not None and valid(entry):
        return entry, True
    entry = make()
    write_entry(folder, name, entry)
    return entry, False
