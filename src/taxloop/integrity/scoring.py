"""Officer scores from integrity hits: the derived ``integrity_scores`` table (the contract's ``integrity_list``).

Each (officer, rule) pair contributes ``weight * (1 + ln(hits))`` where ``weight`` is the rule's weight times its
severity factor (high 3, medium 2, low 1): one more hit of the same rule adds less than a hit of another rule.
Every officer of the ``officers`` table is listed (score 0 when nothing fired), plus any officer that only
appears in hits; rank 1 is the highest score (ties broken by officer id, so ranks are reproducible).
"""

from __future__ import annotations

from taxloop.analytics.backend import AnalyticsBackend

SCORES_SQL = """
WITH h AS (
  SELECT officer_id, code, any_value(weight) AS w, count(*) AS n
  FROM integrity_hits WHERE officer_id IS NOT NULL GROUP BY officer_id, code
),
s AS (
  SELECT officer_id, sum(w * (1 + ln(n))) AS score,
         string_agg(code, ';' ORDER BY w * (1 + ln(n)) DESC, code) AS indicators
  FROM h GROUP BY officer_id
),
e AS (
  SELECT officer_id, string_agg(DISTINCT ev, ';' ORDER BY ev) AS evidence
  FROM (SELECT officer_id, unnest(string_split(evidence, ';')) AS ev
        FROM integrity_hits WHERE officer_id IS NOT NULL AND evidence IS NOT NULL)
  WHERE ev <> '' GROUP BY officer_id
),
everyone AS ({everyone})
SELECT CAST(row_number() OVER (ORDER BY coalesce(s.score, 0) DESC, everyone.officer_id) AS BIGINT) AS rank,
       everyone.officer_id, CAST(coalesce(s.score, 0) AS DOUBLE) AS score,
       coalesce(s.indicators, '') AS indicators, coalesce(e.evidence, '') AS evidence
FROM everyone LEFT JOIN s ON s.officer_id = everyone.officer_id LEFT JOIN e ON e.officer_id = everyone.officer_id
"""


def scores_sql(with_officers: bool) -> str:
    """The scoring query (over ``integrity_hits`` and, when present, ``officers``)."""
    everyone = "SELECT DISTINCT officer_id FROM integrity_hits WHERE officer_id IS NOT NULL"
    if with_officers:
        everyone = f"SELECT DISTINCT CAST(officer_id AS VARCHAR) AS officer_id FROM officers UNION {everyone}"
    return SCORES_SQL.format(everyone=everyone)


def score_officers(backend: AnalyticsBackend) -> int:
    """Materialise ``integrity_scores`` from ``integrity_hits``; returns the number of officers ranked."""
    return backend.materialize("integrity_scores", scores_sql(backend.has_table("officers")))
