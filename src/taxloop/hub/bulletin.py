"""The monthly provider bulletin: providers ranked by quality, timeliness and coverage (HTML and PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from taxloop.hub.registry import Registry

#: Weights of the three parts of a provider's mark (quality, timeliness, coverage).
WEIGHTS = {"quality": 0.4, "timeliness": 0.3, "coverage": 0.3}


@dataclass(frozen=True)
class ProviderMark:
    """One provider's figures for a month and its rank."""

    rank: int
    provider: str
    name_zh: str
    name_en: str
    rows_delivered: int
    rows_rejected: int
    duplicates: int
    quality: float
    timeliness: float
    coverage: float
    mark: float


def rank_providers(ledger: list[dict[str, Any]], period: str, registry: Registry) -> list[ProviderMark]:
    """Sum a month's ledger rows per provider and rank them (pure).

    quality = loaded / delivered; timeliness = on-time rows / delivered; coverage = the ledger's coverage where the
    provider has an expected population, else the share of rows naming a known taxpayer.
    """
    by_provider: dict[str, list[dict[str, Any]]] = {}
    for row in ledger:
        if row["period"] == period:
            by_provider.setdefault(str(row["provider"]), []).append(row)
    marks: list[tuple[float, str, dict[str, float | int]]] = []
    for code, rows in by_provider.items():
        delivered = sum(int(r["rows_delivered"]) for r in rows)
        loaded = sum(int(r["rows_loaded"]) for r in rows)
        late = sum(int(r["rows_late"]) for r in rows)
        covs = [float(r["coverage"]) for r in rows if r.get("coverage") is not None]
        known = [float(r["known_taxpayer_share"]) * int(r["rows_delivered"]) for r in rows]
        coverage = sum(covs) / len(covs) if covs else sum(known) / delivered
        fig: dict[str, float | int] = {
            "rows_delivered": delivered,
            "rows_rejected": sum(int(r["rows_rejected"]) for r in rows),
            "duplicates": sum(int(r["duplicates"]) for r in rows),
            "quality": loaded / delivered,
            "timeliness": 1 - late / delivered,
            "coverage": min(coverage, 1.0),
        }
        mark = sum(WEIGHTS[k] * float(fig[k]) for k in WEIGHTS) * 100
        marks.append((mark, code, fig))
    marks.sort(key=lambda m: (-m[0], m[1]))
    out = []
    for i, (mark, code, fig) in enumerate(marks, start=1):
        p = registry.provider(code)
        out.append(
            ProviderMark(
                rank=i,
                provider=code,
                name_zh=p.name_zh,
                name_en=p.name_en,
                rows_delivered=int(fig["rows_delivered"]),
                rows_rejected=int(fig["rows_rejected"]),
                duplicates=int(fig["duplicates"]),
                quality=float(fig["quality"]),
                timeliness=float(fig["timeliness"]),
                coverage=float(fig["coverage"]),
                mark=round(mark, 1),
            )
        )
    return out


def render_html(marks: list[ProviderMark], period: str) -> str:
    """The bulletin as a self-contained HTML page (no external assets)."""
    env = Environment(loader=PackageLoader("taxloop.hub", "templates"), autoescape=select_autoescape())
    return env.get_template("bulletin.html").render(marks=marks, period=period, weights=WEIGHTS)


def render_pdf(marks: list[ProviderMark], period: str, path: Path) -> Path:
    """The bulletin as a PDF (Chinese text with the built-in STSong-Light CID font; no font files needed)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    styles = getSampleStyleSheet()
    for s in ("Title", "Normal"):
        styles[s].fontName = "STSong-Light"
    header = [
        "名次 Rank",
        "部门 Provider",
        "交付行数 Rows",
        "拒收 Rejected",
        "重复 Dup.",
        "质量 Quality",
        "及时 On time",
        "覆盖 Coverage",
        "得分 Mark",
    ]
    body = [
        [
            str(m.rank),
            f"{m.name_zh}\n{m.name_en}",
            f"{m.rows_delivered:,}",
            f"{m.rows_rejected:,}",
            f"{m.duplicates:,}",
            f"{m.quality:.1%}",
            f"{m.timeliness:.1%}",
            f"{m.coverage:.1%}",
            f"{m.mark:.1f}",
        ]
        for m in marks
    ]
    table = Table([header, *body], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=f"Provider bulletin {period}")
    doc.build(
        [
            Paragraph(f"涉税数据共享质量通报 Provider data bulletin — {period}", styles["Title"]),
            Paragraph(
                "得分 = 40% 质量 + 30% 及时 + 30% 覆盖 / mark = 40% quality + 30% timeliness + 30% coverage",
                styles["Normal"],
            ),
            Spacer(1, 12),
            table,
        ]
    )
    return path
