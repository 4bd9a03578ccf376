"""The key manifest: which keyed tables' files were written (or verified) with keys, and against which dictionary.

Whoever writes key columns (the loader, ``taxloop keys``) records, in ``derived/tin_keys_manifest.json``, a
fingerprint of every keyed table's files as they lie in the warehouse (each file's name relative to the table's
folder, size and ``mtime_ns``) and the generation of the dictionary the keys were looked up in; also the
dictionary's own files and the ``taxpayers`` files whose every TIN the dictionary holds (``registered``). A scan
(``prepare_keys``) trusts a table's keys only when its files are exactly those recorded: any rewrite of a file
(a hand edit, a copy that does not keep modification times, a tool that writes tables) changes a size or an
``mtime_ns``, so it is caught without reading a row. Not caught: a rewrite that keeps every file's size and puts
its ``mtime_ns`` back (``touch -r``), or one within the same file-system clock tick as the recorded write.

The folder fingerprinted is the one a backend reads (``Warehouse.find``: ``derived`` before ``tables``), followed
through a symbolic link. The file is small and replaced whole (temporary file, then ``os.replace``), so a reader
sees the old or the new one; writers hold the warehouse's load lock. A missing or unreadable manifest is empty:
nothing is trusted from it.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxloop.analytics.warehouse import Warehouse

MANIFEST = "tin_keys_manifest.json"
VERSION = 1

#: file name (relative to the table's folder) -> [size, mtime_ns]
Files = dict[str, list[int]]


def manifest_path(wh: Warehouse) -> Path:
    """Where the manifest of ``wh`` lives."""
    return wh.area("derived") / MANIFEST


def fingerprint(folder: Path) -> Files:
    """Every file under ``folder`` (through a symbolic link): its relative name, size and ``mtime_ns``."""
    out: Files = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(folder).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


@dataclass(frozen=True)
class Entry:
    """One table's files as recorded (``folder`` relative to the warehouse root) and, for a keyed table or the
    dictionary, the dictionary generation its keys belong to."""

    folder: str
    files: Files
    generation: int | None = None
    #: for a table derived from keyed tables (``taxloop.analytics.tin_months``): each one's files it was built from
    inputs: dict[str, Files] | None = None
    #: the layout version of such a derived table (a reader trusts only the one it knows)
    layout: int | None = None

    @classmethod
    def at(cls, wh: Warehouse, folder: Path, generation: int | None = None) -> Entry:
        """The entry of the table in ``folder`` (inside ``wh``) as it lies now."""
        return cls.staged(wh, folder, folder, generation)

    @classmethod
    def staged(cls, wh: Warehouse, final: Path, staged: Path, generation: int | None = None) -> Entry:
        """The entry the table in ``final`` (inside ``wh``) will have once the folder ``staged`` is renamed to it:
        a rename keeps every file's name, size and ``mtime_ns`` (the loader's swap renames a symbolic link
        ``final`` away and puts the real folder ``staged`` in its place)."""
        return cls(final.relative_to(wh.root).as_posix(), fingerprint(staged), generation)

    def matches(self, wh: Warehouse, name: str) -> bool:
        """Whether the files a backend reads for ``name`` (``Warehouse.find``) are exactly the recorded ones."""
        folder = wh.find(name)
        if folder is None or folder.relative_to(wh.root).as_posix() != self.folder:
            return False
        return fingerprint(folder) == self.files


@dataclass
class Manifest:
    """The recorded dictionary, ``taxpayers`` files it covers, and keyed tables (name -> entry)."""

    dictionary: Entry | None = None
    registered: Entry | None = None
    tables: dict[str, Entry] = field(default_factory=dict)

    def dictionary_generation(self, wh: Warehouse, name: str) -> int | None:
        """The recorded generation of dictionary ``name`` when its files are as recorded, else None."""
        d = self.dictionary
        return d.generation if d is not None and d.matches(wh, name) else None

    def table_trusted(self, wh: Warehouse, name: str, generation: int) -> bool:
        """Whether keyed table ``name`` is as recorded, keyed against the dictionary of ``generation``."""
        entry = self.tables.get(name)
        return entry is not None and entry.generation == generation and entry.matches(wh, name)


def _entry(data: Any) -> Entry | None:
    if not isinstance(data, dict):
        return None
    generation = data.get("generation")
    raw = data.get("inputs")
    inputs = None if raw is None else {str(n): files_of(f) for n, f in dict(raw).items()}
    layout = data.get("layout")
    gen = None if generation is None else int(generation)
    return Entry(str(data["folder"]), files_of(data["files"]), gen, inputs, None if layout is None else int(layout))


def files_of(data: Any) -> Files:
    """A ``Files`` fingerprint read back from JSON (raises on a malformed one)."""
    return {str(k): [int(v[0]), int(v[1])] for k, v in dict(data).items()}


def replace_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically: a temporary file beside it, synced, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_manifest(wh: Warehouse) -> Manifest:
    """The manifest of ``wh``; an empty one when there is none, or it cannot be read (then nothing is trusted)."""
    try:
        data = json.loads(manifest_path(wh).read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            return Manifest()
        tables = {str(n): e for n, raw in dict(data.get("tables") or {}).items() if (e := _entry(raw)) is not None}
        return Manifest(_entry(data.get("dictionary")), _entry(data.get("registered")), tables)
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return Manifest()


def _raw(entry: Entry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    raw: dict[str, Any] = {"folder": entry.folder, "generation": entry.generation, "files": entry.files}
    if entry.inputs is not None:
        raw["inputs"] = entry.inputs
    if entry.layout is not None:
        raw["layout"] = entry.layout
    return raw


def write_manifest(wh: Warehouse, manifest: Manifest) -> None:
    """Replace the manifest of ``wh`` atomically (temporary file, then ``os.replace``). Entries of a generation
    other than the dictionary's are dropped: they can never be trusted again."""
    gen = manifest.dictionary.generation if manifest.dictionary is not None else None
    tables = {n: _raw(e) for n, e in sorted(manifest.tables.items()) if gen is not None and e.generation == gen}
    data = {"version": VERSION, "dictionary": _raw(manifest.dictionary), "registered": _raw(manifest.registered)}
    data["tables"] = tables
    replace_json(manifest_path(wh), data)
