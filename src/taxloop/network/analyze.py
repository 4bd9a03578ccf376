"""``taxloop network``: trading graph -> network_features, gangs and a report (through the backend).

Steps: ``network_edges`` and ``network_base`` (SQL), short cycles on the reduced graph (igraph) ->
``network_cycles``, roles (SQL) -> ``network_roles``, gangs (Leiden on flagged firms with shared
people and phones) -> ``gangs``, then ``network_features`` = roles + ``gang_id``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
from pydantic import BaseModel

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.entity.normalize import normalize_phones, normalize_tins
from taxloop.network.cycles import CycleOptions, find_cycles
from taxloop.network.features import Window, build_base
from taxloop.network.gangs import GangOptions, detect_gangs
from taxloop.network.roles import RoleOptions, roles_sql


@dataclass
class NetworkOptions:
    """Every tunable of the network analysis."""

    window: Window = field(default_factory=Window)
    new_days: int = 180
    cycles: CycleOptions = field(default_factory=CycleOptions)
    roles: RoleOptions = field(default_factory=RoleOptions)
    gangs: GangOptions = field(default_factory=GangOptions)


class NetworkReport(BaseModel):
    """What a network run found."""

    firms: int
    edges: int
    cycles: int
    roles: dict[str, int]
    in_cycle: int
    gangs: int
    gang_members: int
    seconds: float


def _shared_attributes(backend: AnalyticsBackend) -> list[tuple[str, str, str]]:
    if not backend.has_table("taxpayers"):
        return []
    cols = backend.query("SELECT * FROM taxpayers LIMIT 0").column_names
    kinds = [c for c in ("legal_rep_id", "finance_officer_id", "phone") if c in cols]
    if not kinds:
        return []
    select = ", ".join(f"t.{c}" for c in kinds)
    data = backend.query(
        f"SELECT DISTINCT t.tin, {select} FROM taxpayers t JOIN network_roles r ON r.tin = t.tin "
        "WHERE r.role IS NOT NULL OR r.in_cycle OR r.split_invoicing"
    )
    out: list[tuple[str, str, str]] = []
    tins = data["tin"].to_pylist()
    for kind in kinds:
        norm = normalize_phones(data[kind]) if kind == "phone" else normalize_tins(data[kind])
        out.extend((t, kind, v) for t, v in zip(tins, norm.to_pylist(), strict=True) if t and v)
    return out


def analyze_network(
    backend: AnalyticsBackend, options: NetworkOptions | None = None, step: Callable[[str], None] | None = None
) -> NetworkReport:
    """Run the whole network analysis and write its tables; returns the report."""
    options = options or NetworkOptions()
    note = step or (lambda _msg: None)
    started = time.perf_counter()
    note("aggregating the invoice graph / 汇总发票网络")
    n_edges, n_firms = build_base(backend, options.window, options.new_days, note)
    note("finding short cycles / 查找闭环")
    edges = backend.query("SELECT seller_tin, buyer_tin, value, first_on FROM network_edges")
    cycles = find_cycles(edges, options.cycles)
    backend.write_arrow(
        "network_cycles",
        pa.table(
            {
                "tin": pa.array(list(cycles.count), pa.string()),
                "cycle_count": pa.array(list(cycles.count.values()), pa.int64()),
                "cycle_example": pa.array([cycles.example[t] for t in cycles.count], pa.string()),
            }
        ),
    )
    note("assigning roles / 识别角色")
    options.roles.staff_known = backend.has_table("social_insurance") or backend.has_table("iit_withholding")
    options.roles.power_known = backend.has_table("utilities")
    backend.materialize("network_roles", roles_sql(options.roles))
    note("detecting gangs / 识别团伙")
    flagged = backend.query(
        "SELECT tin, role, in_cycle OR split_invoicing AS in_cycle FROM network_roles "
        "WHERE role IS NOT NULL OR in_cycle OR split_invoicing"
    )
    trade = backend.query(
        "SELECT e.seller_tin, e.buyer_tin FROM network_edges e "
        "JOIN network_roles a ON a.tin = e.seller_tin AND (a.role IS NOT NULL OR a.in_cycle OR a.split_invoicing) "
        "JOIN network_roles b ON b.tin = e.buyer_tin AND (b.role IS NOT NULL OR b.in_cycle OR b.split_invoicing)"
    )
    gangs = detect_gangs(
        flagged.to_pylist(),
        list(zip(trade["seller_tin"].to_pylist(), trade["buyer_tin"].to_pylist(), strict=True)),
        _shared_attributes(backend),
        options.gangs,
    )
    backend.write_arrow("gangs", gangs)
    backend.materialize(
        "network_features",
        "SELECT r.*, g.gang_id FROM network_roles r LEFT JOIN gangs g ON g.tin = r.tin",
    )
    counts = backend.query(
        "SELECT role, count(*) AS n FROM network_roles WHERE role IS NOT NULL GROUP BY role"
    ).to_pylist()
    return NetworkReport(
        firms=n_firms,
        edges=n_edges,
        cycles=len(cycles.cycles),
        roles={str(r["role"]): int(r["n"]) for r in counts},
        in_cycle=len(cycles.count),
        gangs=len(set(gangs["gang_id"].to_pylist())),
        gang_members=gangs.num_rows,
        seconds=round(time.perf_counter() - started, 2),
    )
