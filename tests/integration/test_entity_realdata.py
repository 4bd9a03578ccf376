"""Real data: FEBRL person records (entity resolution) and the AMLSim transfer network (network analysis).

The measured figures are printed (run with ``-s``) and written in docs/entity.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.entity.evaluation import pairwise_score, read_febrl
from taxloop.entity.records import prepare_records
from taxloop.entity.resolve import resolve_records
from taxloop.entity.sample import entity_lookup
from taxloop.network.analyze import analyze_network

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_febrl4_pairwise_f1(realdata: Path) -> None:
    folder = realdata / "febrl"
    raw, truth = read_febrl([folder / "dataset4a.csv", folder / "dataset4b.csv"])
    entity_map, _pairs, _model, report = resolve_records(prepare_records(raw), threshold=0.95)
    score = pairwise_score(entity_lookup(entity_map), truth)
    print(f"FEBRL 4a+4b: {report.records} records -> {report.entities} entities; {score}")
    assert score.true_pairs == 5000
    assert score.f1 >= 0.95, score


def amlsim_invoices_sql(folder: Path) -> str:
    """AMLSim transfers as invoices: a transfer from A to B is an invoice from B to A, on day ``time``."""
    return (
        "SELECT 'T' || row_number() OVER () AS invoice_id, CAST(targetNodeId AS VARCHAR) AS seller_tin, "
        "CAST(sourceNodeId AS VARCHAR) AS buyer_tin, DATE '2025-01-01' + CAST(time AS INTEGER) AS issued_on, "
        "value AS amount, value * 0.13 AS tax_amount, 0.13 AS tax_rate, 'G' AS goods_code, 'special' AS kind, "
        f"'valid' AS status FROM read_csv('{folder / 'transactions.csv.gz'}')"
    )


def test_amlsim_flagged_firms(realdata: Path, tmp_path: Path) -> None:
    folder = realdata / "amlsim"
    backend = DuckDBBackend(Warehouse(tmp_path).ensure())
    backend.materialize("invoices", amlsim_invoices_sql(folder))
    report = analyze_network(backend)
    nodes = f"SELECT CAST(nodeid AS VARCHAR) AS tin, isFraud FROM read_csv('{folder / 'nodes.csv'}')"
    figures = {}
    for label, cond in (
        ("any", "f.role IS NOT NULL OR f.in_cycle OR f.split_invoicing OR f.gang_id IS NOT NULL"),
        ("role", "f.role IS NOT NULL"),
        ("cycle", "f.in_cycle"),
        ("split", "f.split_invoicing"),
    ):
        row = backend.query(
            f"WITH n AS ({nodes}), j AS (SELECT n.isFraud, coalesce({cond}, false) AS fl "
            "FROM n LEFT JOIN network_features f USING (tin)) "
            "SELECT sum(fl::INT) AS flagged, sum(isFraud * fl::INT) AS tp, sum(isFraud) AS pos FROM j"
        ).to_pylist()[0]
        figures[label] = (row["tp"] / max(row["flagged"], 1), row["tp"] / row["pos"])
    print(f"AMLSim: {report}; precision/recall by signal: {figures}")
    assert report.firms > 19_000
    fraud_share = 1803 / 20000
    assert figures["any"][0] > 2 * fraud_share  # flagged firms are much richer in fraud than the base rate
    assert figures["any"][1] >= 0.6
