"""Officer scores from integrity hits: the derived ``integrity_scores`` table (the contract's ``integrity_list``).

Each (officer, rule) pair contributes ``weight * min(1 + ln(items), 3) * rarity`` where

- ``weight`` is the rule's weight times its severity factor (high 3, medium 2, low 1);
- ``items`` counts the evidence items (op_ids/case_ids) of the pair's hits: more evidence adds less and less and
  saturates at about 7 items, so an officer with a large workload does not outrank one with a graver finding;
- ``rarity = ln(1 + N / n) / ln(1 + N)`` with N officers ranked and n officers the rule fired for: a rule that
  fires for one officer counts fully, one that fires for nearly everybody (a process-design finding, not a
  personal one) counts little.

Every officer of the ``officers`` table is listed (score 0 when nothing fired), plus any officer that only
appears in hits; rank 1 is the highest score (ties broken by officer id, so ranks are reproducible).
"""

from __future__ import annotations

from taxloop.analytics.backend import AnalyticsBackend

SCORES_SQL = """
WITH everyone AS ({everyone}),
total AS (SELECT count(*) AS n FROM everyone),
h AS (
  SELECT officer_id, code, any_value(weight) AS w,
         sum(CASE WHEN coalesce(evidence, '') = '' THEN 1
                  ELSE length(evidence) - length(replace(evidence, ';', '')) + 1 END) AS n
  FROM integrity_hits WHERE officer_id IS NOT NULL GROUP BY officer_id, code
),
spread AS (SELECT code, count(*) AS officers FROM h GROUP BY code),
c AS (
  SELECT h.officer_id, h.code,
         h.w * least(1 + ln(h.n), 3) * ln(1 + total.n / spread.officers) / ln(1 + total.n) AS points
  FROM h JOIN spread ON spread.code = h.code, total
),
s AS (
  SELECT officer_id, sum(points) AS score, string_agg(code, ';' ORDER BY points DESC, code) AS indicators
  FROM c GROUP BY officer_id
),
e AS (
  SELECT officer_id, string_agg(DISTINCT ev, ';' ORDER BY ev) AS evidence
  FROM (SELECT officer_id, unnest(string_split(evidence, ';')) AS ev
        FROM integrity_hits WHERE officer_id IS NOT NULL AND evidence IS NOT NULL)
  WHERE ev <> '' GROUP BY officer_id
)
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
