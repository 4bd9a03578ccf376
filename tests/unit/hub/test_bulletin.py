"""The bulletin ranks providers from the ledger and renders HTML and PDF."""

from pathlib import Path

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.hub.bulletin import rank_providers, render_html, render_pdf
from taxloop.hub.ledger import build_ledger
from taxloop.hub.registry import load_registry


def test_rank_and_render(hub_wh: DuckDBBackend, tmp_path: Path) -> None:
    registry = load_registry()
    ledger = build_ledger(hub_wh, registry).to_pylist()
    marks = rank_providers(ledger, "2026-01", registry)
    assert [m.provider for m in marks] == ["REG", "HRSS"]
    hrss = marks[1]
    # HRSS January: 2 rows, 0 rejected, 1 late, coverage 1.0 -> 40 + 15 + 30 = 85.
    assert (hrss.quality, hrss.timeliness, hrss.coverage, hrss.mark) == (1.0, 0.5, 1.0, 85.0)
    html = render_html(marks, "2026-01")
    assert "人力资源和社会保障局" in html and "85.0" in html
    pdf = render_pdf(marks, "2026-01", tmp_path / "b.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
