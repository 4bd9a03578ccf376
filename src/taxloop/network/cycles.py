"""Short circular-invoicing cycles on the reduced trading graph.

Circular invoicing passes about the same amount around a loop of firms, one invoice after the
other, within a short time. The search therefore:

1. reduces the graph with igraph: drops edges below a value floor and hub firms (more than
   ``max_degree`` partners), keeps only edges inside strongly connected components of 2+ firms;
2. grows paths edge by edge (DuckDB, in memory) from every edge, keeping only steps whose value is
   within ``min_value_ratio`` of the first edge's value and whose first invoice date is not before
   the previous step's and at most ``max_span_days`` after the first one; a path that returns to
   its first firm within ``max_length`` firms is a cycle. Each cycle is reported once (the rotation
   starting at its earliest edge, ties by TIN).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb
import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class CycleOptions:
    """Tunables of the cycle search."""

    min_edge_value: float = 0.0
    max_degree: int = 200
    max_length: int = 6
    min_value_ratio: float = 0.5
    max_span_days: int = 30


@dataclass
class CycleResult:
    """Cycles found: per firm the count and one example; and every cycle as a list of TINs."""

    count: dict[str, int] = field(default_factory=dict)
    example: dict[str, str] = field(default_factory=dict)
    cycles: list[list[str]] = field(default_factory=list)


def reduce_edges(edges: pa.Table, options: CycleOptions) -> pa.Table:
    """Edges above the floor, between non-hub firms, inside non-trivial strongly connected components."""
    if options.min_edge_value > 0:
        edges = edges.filter(pc.greater_equal(edges["value"], options.min_edge_value))
    if edges.num_rows == 0:
        return edges
    sellers = pc.cast(edges["seller_tin"], pa.string()).combine_chunks()
    buyers = pc.cast(edges["buyer_tin"], pa.string()).combine_chunks()
    names = pc.unique(pa.concat_arrays([sellers, buyers]))
    src = np.asarray(pc.index_in(sellers, value_set=names).to_numpy(zero_copy_only=False), dtype=np.int64)
    dst = np.asarray(pc.index_in(buyers, value_set=names).to_numpy(zero_copy_only=False), dtype=np.int64)
    n = len(names)
    degree = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
    keep = (degree[src] <= options.max_degree) & (degree[dst] <= options.max_degree)
    graph = ig.Graph(n=n, edges=np.stack([src[keep], dst[keep]], axis=1).tolist(), directed=True)
    membership = np.asarray(graph.connected_components(mode="strong").membership)
    sizes = np.bincount(membership)
    keep &= (membership[src] == membership[dst]) & (sizes[membership[src]] > 1)
    return edges.filter(pa.array(keep))


def _search_sql(options: CycleOptions, length: int) -> str:
    return f"""
SELECT p.start, e.buyer_tin AS cur, list_append(p.nodes, e.buyer_tin) AS nodes, p.v0, p.t0, e.first_on AS tl
FROM paths p JOIN e ON e.seller_tin = p.cur
WHERE e.first_on >= p.tl AND e.first_on <= p.t0 + INTERVAL {int(options.max_span_days)} DAY
  AND least(e.value, p.v0) / greatest(e.value, p.v0) >= {float(options.min_value_ratio)}
  AND (e.first_on > p.t0 OR e.seller_tin > p.start OR e.buyer_tin = p.start)
  AND (e.buyer_tin = p.start OR NOT list_contains(p.nodes, e.buyer_tin))
  AND len(p.nodes) < {int(length)}
"""


def find_cycles(edges: pa.Table, options: CycleOptions | None = None) -> CycleResult:
    """Value- and time-consistent short cycles of ``seller_tin, buyer_tin, value, first_on`` edges."""
    options = options or CycleOptions()
    result = CycleResult()
    reduced = reduce_edges(edges, options) if edges.num_rows else edges
    if reduced.num_rows == 0:
        return result
    con = duckdb.connect(":memory:")
    try:
        con.register("raw_e", reduced)
        con.execute(
            "CREATE TABLE e AS SELECT CAST(seller_tin AS VARCHAR) AS seller_tin,"
            " CAST(buyer_tin AS VARCHAR) AS buyer_tin,"
            " CAST(value AS DOUBLE) AS value, CAST(first_on AS DATE) AS first_on FROM raw_e WHERE value > 0"
        )
        con.execute(
            "CREATE TABLE paths AS SELECT seller_tin AS start, buyer_tin AS cur, [seller_tin, buyer_tin] AS nodes,"
            " value AS v0, first_on AS t0, first_on AS tl FROM e"
        )
        found: set[tuple[str, ...]] = set()
        for _ in range(2, options.max_length + 1):
            con.execute(f"CREATE OR REPLACE TABLE nxt AS {_search_sql(options, options.max_length)}")
            closed = con.execute("SELECT nodes FROM nxt WHERE cur = start").fetchall()
            for (nodes,) in closed:
                cycle = [str(n) for n in nodes[:-1]]
                key = tuple(sorted(cycle))
                if key not in found:
                    found.add(key)
                    result.cycles.append(cycle)
            con.execute("CREATE OR REPLACE TABLE paths AS SELECT * FROM nxt WHERE cur <> start")
            if con.execute("SELECT count(*) FROM paths").fetchall()[0][0] == 0:
                break
    finally:
        con.close()
    count: dict[str, int] = defaultdict(int)
    for cycle in result.cycles:
        text = " -> ".join([*cycle, cycle[0]])
        for tin in cycle:
            count[tin] += 1
            result.example.setdefault(tin, text)
    result.count = dict(count)
    return result
