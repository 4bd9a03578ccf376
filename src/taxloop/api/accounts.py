"""User accounts: officers (linked to ``wf_officers``) and local accounts such as auditors.

Passwords are hashed with scrypt (stdlib) and a per-user salt. The table is created by the workflow store's
Alembic migration ``0002``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa

from taxloop.workflow.tables import metadata

ROLES = ("administrator", "reviewer", "inspector", "discipline", "analyst", "leader", "auditor")

users = sa.Table(
    "api_users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("officer_id", sa.String(64)),
    sa.Column("region_code", sa.String(64)),
    sa.Column("unit_code", sa.String(64)),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: role and data scope (region; an officer's own tasks)."""

    username: str
    role: str
    display_name: str
    officer_id: str | None = None
    region_code: str | None = None
    unit_code: str | None = None

    @property
    def sees_all_regions(self) -> bool:
        """Auditors and analysts without a region see every region; everyone else only their own."""
        return self.region_code is None or self.role == "auditor"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """scrypt hash as ``scrypt$<salt hex>$<hash hex>``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against its stored hash."""
    try:
        scheme, salt_hex, _ = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt_hex)), stored)


class AccountError(ValueError):
    """Bad account data (unknown role, empty password, duplicate user)."""


def add_user(
    conn: sa.Connection,
    username: str,
    password: str,
    role: str,
    display_name: str,
    officer_id: str | None = None,
    region_code: str | None = None,
    unit_code: str | None = None,
) -> None:
    """Create or replace an account."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if len(password) < 6:
        raise AccountError("password must have at least 6 characters / 密码至少6位")
    conn.execute(users.delete().where(users.c.username == username))
    conn.execute(
        users.insert().values(
            username=username,
            password_hash=hash_password(password),
            role=role,
            officer_id=officer_id,
            region_code=region_code,
            unit_code=unit_code,
            display_name=display_name,
            active=True,
        )
    )


def accounts_from_officers(conn: sa.Connection, password: str) -> int:
    """One account per active officer (username = officer_id) with the given initial password."""
    from taxloop.workflow.tables import officers

    rows = conn.execute(sa.select(officers).where(officers.c.active.is_(True))).mappings().all()
    hashed = hash_password(password)
    existing = set(conn.execute(sa.select(users.c.username)).scalars())
    new = [
        {
            "username": r["officer_id"],
            "password_hash": hashed,
            "role": r["role"],
            "officer_id": r["officer_id"],
            "region_code": r["region_code"],
            "unit_code": r["unit_code"],
            "display_name": r["name"],
            "active": True,
        }
        for r in rows
        if r["officer_id"] not in existing
    ]
    if new:
        conn.execute(users.insert(), new)
    return len(new)


@cache
def _account_query() -> sa.Select[Any]:
    """One account by ``username`` (a bind parameter; built once, reused by every request)."""
    return sa.select(users).where(users.c.username == sa.bindparam("username", type_=sa.String))


def authenticate(conn: sa.Connection, username: str, password: str) -> Principal | None:
    """The principal for valid credentials, else None."""
    row = conn.execute(_account_query(), {"username": username}).mappings().first()
    if row is None or not row["active"] or not verify_password(password, row["password_hash"]):
        return None
    return principal_of(row)


def load_principal(conn: sa.Connection, username: str) -> Principal | None:
    """The principal of an active account (for token checks)."""
    row = conn.execute(_account_query(), {"username": username}).mappings().first()
    if row is None or not row["active"]:
        return None
    return principal_of(row)


def principal_of(row: sa.RowMapping) -> Principal:
    """Principal from an account row."""
    return Principal(
        username=row["username"],
        role=row["role"],
        display_name=row["display_name"],
        officer_id=row["officer_id"],
        region_code=row["region_code"],
        unit_code=row["unit_code"],
    )
