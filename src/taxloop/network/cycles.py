"""Short circular-invoicing cycles on the reduced trading graph.

Circular invoicing passes about the same amount around a loop of firms, one invoice after the
other, within a short time. The search therefore:

1. numbers the firms in TIN order and reduces the graph (scipy): drops edges below a value floor and
   hub firms (more than ``max_degree`` partners), keeps only edges inside strongly connected
   components of 2+ firms;
2. grows paths depth-first from every edge (compiled with numba, integer ids, edges sorted by
   seller then first day), keeping only steps whose value is within ``min_value_ratio`` of the
   first edge's value and whose first invoice date is not before the previous step's and at most
   ``max_span_days`` after the first one (a binary search finds that window among the firm's
   edges). A path is extended while it has fewer than ``max_length`` firms, so a cycle has at most
   ``max_length - 1`` firms. Each cycle is reported once (the rotation starting at its earliest
   edge, ties by TIN). The start edges are shared among ``threads`` threads (the search releases
   the GIL).
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


@dataclass
class CycleOptions:
    """Tunables of the cycle search."""

    min_edge_value: float = 0.0
    max_degree: int = 200
    max_length: int = 6
    min_value_ratio: float = 0.5
    max_span_days: int = 30
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass
class CycleResult:
    """Cycles found: per firm the count and one example; and every cycle as a list of TINs."""

    count: dict[str, int] = field(default_factory=dict)
    example: dict[str, str] = field(default_factory=dict)
    cycles: list[list[str]] = field(default_factory=list)


def strong_nodes(src: np.ndarray, dst: np.ndarray, n: int, max_degree: int) -> np.ndarray:
    """Per node: its strongly connected component among non-hub nodes, or -1 (hub, or alone in its component)."""
    degree = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
    keep = (degree[src] <= max_degree) & (degree[dst] <= max_degree)
    graph = csr_matrix((np.ones(int(keep.sum()), dtype=np.int8), (src[keep], dst[keep])), shape=(n, n))
    _, membership = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(membership)
    return np.where((degree <= max_degree) & (sizes[membership] > 1), membership, -1).astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _search(
    off: np.ndarray,
    dst: np.ndarray,
    val: np.ndarray,
    day: np.ndarray,
    src: np.ndarray,
    max_length: int,
    span: int,
    ratio: float,
    out: np.ndarray,
    first: int,
    last: int,
) -> int:  # pragma: no cover - compiled; covered through find_cycles
    """Depth-first search from edges ``first..last-1`` (sorted by seller, then day); closed paths go to ``out``.

    Returns how many were found (more than ``len(out)`` means ``out`` was too small). A path of
    ``k`` firms is extended only while ``k < max_length``; a step must start on or after the previous
    step's day and at most ``span`` days after the first edge, with a value within ``ratio`` of it.
    """
    found = 0
    nodes = np.empty(max_length + 1, np.int64)
    pos = np.empty(max_length + 1, np.int64)
    hi = np.empty(max_length + 1, np.int64)
    for i in range(first, last):
        s0, v0, t0 = src[i], val[i], day[i]
        nodes[0], nodes[1] = s0, dst[i]
        depth = 1
        x = nodes[1]
        pos[1] = off[x] + np.searchsorted(day[off[x] : off[x + 1]], t0, "left")
        hi[1] = off[x] + np.searchsorted(day[off[x] : off[x + 1]], t0 + span, "right")
        while depth >= 1:
            if pos[depth] >= hi[depth]:
                depth -= 1
                continue
            j = pos[depth]
            pos[depth] += 1
            nb, vj, tj = dst[j], val[j], day[j]
            if min(vj, v0) / max(vj, v0) < ratio:
                continue
            if not (tj > t0 or nodes[depth] > s0 or nb == s0):
                continue
            if nb == s0:
                if found < out.shape[0]:
                    out[found, :] = -1
                    out[found, : depth + 1] = nodes[: depth + 1]
                found += 1
                continue
            seen = False
            for k in range(1, depth + 1):
                if nodes[k] == nb:
                    seen = True
                    break
            if seen or depth + 2 >= max_length:
                continue
            depth += 1
            nodes[depth] = nb
            pos[depth] = off[nb] + np.searchsorted(day[off[nb] : off[nb + 1]], tj, "left")
            hi[depth] = off[nb] + np.searchsorted(day[off[nb] : off[nb + 1]], t0 + span, "right")
    return found


def _numbered(edges: pa.Table, options: CycleOptions) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """Firm names in TIN order and the positive edges above the floor with firm numbers, value and day."""
    usable = pc.and_(pc.greater(edges["value"], 0), pc.greater_equal(edges["value"], options.min_edge_value))
    if not pc.all(usable).as_py():
        edges = edges.filter(usable)
    sellers = pc.cast(edges["seller_tin"], pa.string()).combine_chunks()
    encoded = pa.concat_arrays([sellers, pc.cast(edges["buyer_tin"], pa.string()).combine_chunks()]).dictionary_encode()
    names = encoded.dictionary
    order = np.asarray(pc.sort_indices(names).to_numpy(), np.int64)
    rank = np.empty(len(names), np.int64)
    rank[order] = np.arange(len(names))
    ids = rank[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), np.int64)]
    day = pc.cast(pc.cast(edges["first_on"], pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
    cols = {
        "s": ids[: len(sellers)],
        "b": ids[len(sellers) :],
        "v": np.asarray(pc.cast(edges["value"], pa.float64()).to_numpy(zero_copy_only=False), np.float64),
        "t": np.asarray(day, np.int64),
    }
    return names.take(pa.array(order)), cols


def find_cycles(edges: pa.Table, options: CycleOptions | None = None) -> CycleResult:
    """Value- and time-consistent short cycles of ``seller_tin, buyer_tin, value, first_on`` edges."""
    options = options or CycleOptions()
    result = CycleResult()
    if edges.num_rows == 0:
        return result
    names, cols = _numbered(edges, options)
    n = len(names)
    comp = strong_nodes(cols["s"], cols["b"], n, options.max_degree)
    keep = (comp[cols["s"]] >= 0) & (comp[cols["s"]] == comp[cols["b"]])
    order = np.lexsort((cols["t"][keep], cols["s"][keep]))
    s, b, v, t = (cols[k][keep][order] for k in ("s", "b", "v", "t"))
    off = np.searchsorted(s, np.arange(n + 1), "left").astype(np.int64)
    ratio, span = float(options.min_value_ratio), int(options.max_span_days)

    def search(first: int, last: int) -> np.ndarray:
        out = np.empty((1024, options.max_length), np.int64)
        found = _search(off, b, v, t, s, options.max_length, span, ratio, out, first, last)
        if found > len(out):
            out = np.empty((found, options.max_length), np.int64)
            found = _search(off, b, v, t, s, options.max_length, span, ratio, out, first, last)
        return out[:found]

    # the compiled search releases the GIL: one thread per core, each on a contiguous share of the start edges
    bounds = np.linspace(0, len(b), options.threads + 1).astype(np.int64)
    with ThreadPoolExecutor(max_workers=options.threads) as pool:
        parts = list(pool.map(search, bounds[:-1].tolist(), bounds[1:].tolist()))
    rows = np.concatenate(parts) if parts else np.zeros((0, options.max_length), np.int64)
    closed = sorted((int((row >= 0).sum()), tuple(int(x) for x in row if x >= 0)) for row in rows)
    seen: set[tuple[int, ...]] = set()
    for _, path in closed:
        key = tuple(sorted(path))
        if key not in seen:
            seen.add(key)
            result.cycles.append([str(names[i]) for i in path])
    count: dict[str, int] = defaultdict(int)
    for cycle in result.cycles:
        text = " -> ".join([*cycle, cycle[0]])
        for tin in cycle:
            count[tin] += 1
            result.example.setdefault(tin, text)
    result.count = dict(count)
    return result
