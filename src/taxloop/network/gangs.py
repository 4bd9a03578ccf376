"""Gangs: communities of flagged firms tied by invoices and by shared people and phones.

The graph holds the flagged firms (a role or a short cycle). Two firms are tied when one invoiced
the other, or when they share a legal representative, a finance officer or a phone. Leiden
(modularity, fixed seed) splits it into communities; a community of at least ``min_size`` firms
with at least one source, pass-through firm or cycle member is a gang, named ``G-`` + its smallest TIN.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import igraph as ig
import leidenalg
import pyarrow as pa


@dataclass
class GangOptions:
    """Tunables of gang detection."""

    min_size: int = 3
    trade_weight: float = 1.0
    shared_weight: float = 2.0
    max_shared_group: int = 50
    seed: int = 20261123
    resolution: float = 1.0


def detect_gangs(
    flagged: list[dict[str, object]],
    trade_edges: list[tuple[str, str]],
    shared: list[tuple[str, str, str]],
    options: GangOptions | None = None,
) -> pa.Table:
    """Gangs from flagged firms (``tin, role, in_cycle``), trade edges and (tin, kind, value) shared attributes.

    Returns ``gang_id, tin, role, evidence`` for every gang member.
    """
    options = options or GangOptions()
    empty = pa.table({k: pa.array([], pa.string()) for k in ("gang_id", "tin", "role", "evidence")})
    tins = sorted({str(f["tin"]) for f in flagged})
    if len(tins) < options.min_size:
        return empty
    info = {str(f["tin"]): f for f in flagged}
    index = {t: i for i, t in enumerate(tins)}
    weights: dict[tuple[int, int], float] = defaultdict(float)
    trade_links: dict[int, set[int]] = defaultdict(set)
    shared_links: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for a, b in trade_edges:
        if a in index and b in index and a != b:
            i, j = sorted((index[a], index[b]))
            weights[(i, j)] += options.trade_weight
            trade_links[i].add(j)
            trade_links[j].add(i)
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    for tin, kind, value in shared:
        if tin in index and value:
            groups[(kind, value)].add(index[tin])
    for (kind, _value), members in groups.items():
        if 1 < len(members) <= options.max_shared_group:
            for i, j in combinations(sorted(members), 2):
                weights[(i, j)] += options.shared_weight
                shared_links[i][j].add(kind)
                shared_links[j][i].add(kind)
    if not weights:
        return empty
    graph = ig.Graph(n=len(tins), edges=list(weights), directed=False)
    graph.es["weight"] = list(weights.values())
    partition = leidenalg.find_partition(
        graph,
        leidenalg.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=options.resolution,
        seed=options.seed,
    )
    rows: dict[str, list[str]] = {"gang_id": [], "tin": [], "role": [], "evidence": []}
    for community in partition:
        members = set(community)
        if len(members) < options.min_size:
            continue
        core = [
            m
            for m in members
            if info[tins[m]].get("role") in ("source", "pass_through") or info[tins[m]].get("in_cycle")
        ]
        if not core:
            continue
        gang_id = "G-" + min(tins[m] for m in members)
        for m in sorted(members, key=lambda k: tins[k]):
            trades = len(trade_links[m] & members)
            kinds = sorted({k for j, ks in shared_links[m].items() if j in members for k in ks})
            sharers = sum(1 for j in shared_links[m] if j in members)
            role = info[tins[m]].get("role")
            parts = [f"role {role or 'cycle member'}", f"trades with {trades} member(s)"]
            if sharers:
                parts.append(f"shares {'/'.join(kinds)} with {sharers} member(s)")
            rows["gang_id"].append(gang_id)
            rows["tin"].append(tins[m])
            rows["role"].append(str(role) if role else "pass_through")
            rows["evidence"].append("; ".join(parts))
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})
