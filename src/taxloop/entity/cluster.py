"""Clusters of registration records at a threshold, and readable, stable entity ids.

Records are one entity when linked by a chain of pairs whose match probability is at or above the
threshold, or (``same_tin``) when they share a TIN or a TIN-change chain. The entity id is ``E`` + the
smallest registration_id of the cluster: stable as long as that record exists, readable, and equal to
``E<registration_id>`` for a taxpayer with one record.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def _codes(ids: pa.Array, values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.index_in(values, value_set=ids).to_numpy(zero_copy_only=False), dtype=np.int64)


def cluster_records(records: pa.Table, pairs: pa.Table, threshold: float, same_tin: bool = True) -> pa.Table:
    """``entity_map`` rows ``registration_id, tin, entity_id`` for every record (connected components)."""
    ids = pc.cast(records["unique_id"], pa.string()).combine_chunks()
    n = len(ids)
    if n == 0:
        return pa.table({"registration_id": ids, "tin": records["tin"], "entity_id": ids})
    edges: list[np.ndarray] = []
    if pairs.num_rows:
        strong = pairs.filter(pc.greater_equal(pairs["match_probability"], threshold))
        left = _codes(ids, pc.cast(strong["registration_id_l"], pa.string()))
        right = _codes(ids, pc.cast(strong["registration_id_r"], pa.string()))
        edges.append(np.stack([left, right], axis=1))
    if same_tin:
        roots = records["tin_root"].combine_chunks()
        valid = pc.invert(pc.is_null(roots)).to_numpy(zero_copy_only=False)
        idx = np.nonzero(valid)[0]
        if len(idx):
            groups = pc.dictionary_encode(roots.filter(pa.array(valid))).indices.to_numpy(zero_copy_only=False)
            # link each record to the first record of its TIN group
            order = np.argsort(groups, kind="stable")
            g_sorted = groups[order]
            first = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
            head = idx[order][np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
            edges.append(np.stack([idx[order], head], axis=1))
    all_edges = np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64)
    all_edges = all_edges[(all_edges[:, 0] >= 0) & (all_edges[:, 1] >= 0) & (all_edges[:, 0] != all_edges[:, 1])]
    graph = csr_matrix((np.ones(len(all_edges), dtype=np.int8), (all_edges[:, 0], all_edges[:, 1])), shape=(n, n))
    membership = np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)
    # smallest registration_id per component: the lowest sort rank of its records
    rank = np.empty(n, dtype=np.int64)
    sort_idx = np.asarray(pc.sort_indices(ids).to_numpy(zero_copy_only=False), dtype=np.int64)
    rank[sort_idx] = np.arange(n)
    lowest = np.full(membership.max() + 1, n, dtype=np.int64)
    np.minimum.at(lowest, membership, rank)
    smallest = sort_idx[lowest]
    entity_ids = pc.binary_join_element_wise("E", pc.take(ids, pa.array(smallest[membership])), "")
    return pa.table({"registration_id": ids, "tin": records["tin"], "entity_id": entity_ids})


def cluster_sizes(entity_map: pa.Table) -> dict[int, int]:
    """How many entities have 1, 2, 3... records."""
    counts = pc.value_counts(entity_map["entity_id"])
    sizes = np.asarray(counts.field("counts"))
    values, freq = np.unique(sizes, return_counts=True)
    return {int(v): int(f) for v, f in zip(values, freq, strict=True)}
