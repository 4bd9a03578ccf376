"""Access to third-party data: agreement and role checks, masking of personal data, and a read log.

Every read of classified data (anything above ``public``) is appended to ``hub/access_log.jsonl`` in the
warehouse with who, role, table, columns, purpose and row count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.hub.ledger import SUBJECT
from taxloop.hub.registry import Registry

#: Columns that hold personal data in any table (ID numbers, phones, addresses).
PERSONAL_COLUMNS = {
    "legal_rep_id",
    "finance_officer_id",
    "id_number",
    "phone",
    "address",
    "seller_id",
    "buyer_id",
    "holder_id",
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AccessDenied(PermissionError):
    """A role asked for data its agreement does not allow."""


def mask_value(value: str | None) -> str | None:
    """Keep the first 3 and last 2 characters, star the middle (``440***********12``)."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def mask_table(table: pa.Table, columns: set[str]) -> pa.Table:
    """Mask the given columns of an Arrow table (other columns untouched)."""
    for name in table.column_names:
        if name in columns:
            masked = pa.array([mask_value(v) for v in table.column(name).cast(pa.string()).to_pylist()], pa.string())
            table = table.set_column(table.column_names.index(name), name, masked)
    return table


@dataclass(frozen=True)
class Reader:
    """Who is reading and why."""

    user: str
    role: str
    purpose: str = ""


class DataAccess:
    """Reads warehouse tables on behalf of a user, enforcing agreements, masking and logging."""

    def __init__(self, backend: AnalyticsBackend, registry: Registry, log_path: Path) -> None:
        self.backend = backend
        self.registry = registry
        self.log_path = log_path

    def read(
        self,
        reader: Reader,
        table: str,
        columns: list[str] | None = None,
        where_tin: str | None = None,
        limit: int = 1000,
    ) -> pa.Table:
        """Rows of ``table`` the reader may see, personal columns masked unless the role may unmask."""
        agreement = self.registry.agreement(table)
        if agreement is not None and reader.role not in agreement.roles:
            self._log(reader, table, columns or ["*"], 0, denied=True)
            raise AccessDenied(
                f"role {reader.role!r} may not read {table} under agreement with {agreement.provider} "
                f"(allowed: {', '.join(agreement.roles)}) / 该角色无权查阅此共享数据"
            )
        cols = columns or ["*"]
        for c in cols:
            if c != "*" and not _IDENT.match(c):
                raise ValueError(f"bad column name {c!r}")
        select = ", ".join(f'"{c}"' if c != "*" else "*" for c in cols)
        where = ""
        if where_tin is not None:
            tin_col = SUBJECT.get(table, "tin")
            where = f" WHERE \"{tin_col}\" = '{where_tin.replace(chr(39), chr(39) * 2)}'"
        data = self.backend.query(f'SELECT {select} FROM "{table}"{where} LIMIT {int(limit)}')
        if reader.role not in self.registry.unmask_roles:
            data = mask_table(data, PERSONAL_COLUMNS)
        if agreement is not None and agreement.classification != "public":
            self._log(reader, table, data.column_names, data.num_rows, denied=False)
        return data

    def _log(self, reader: Reader, table: str, columns: list[str], rows: int, denied: bool) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "ts": datetime.now().isoformat(timespec="seconds"),
            "user": reader.user,
            "role": reader.role,
            "purpose": reader.purpose,
            "table": table,
            "columns": columns,
            "rows": rows,
            "denied": denied,
        }
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_access_log(path: Path) -> list[dict[str, object]]:
    """Every logged read, oldest first."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def count_denied(entries: list[dict[str, object]]) -> int:
    """How many logged reads were refused."""
    return sum(1 for e in entries if e["denied"])
