"""Guard against a blocking explosion: count each blocking rule's comparisons before Splink builds them.

A blocking rule pairs every two records that agree on its keys, so a key value shared by ``n``
records makes ``n (n - 1) / 2`` comparisons. When one name, address or birth date is shared by many
registrations (a replicated data set, a placeholder such as "unknown", a shell-company address) the
pairs grow with the square of the block and training or prediction runs out of memory. The count
here is a ``GROUP BY`` on the rule's keys (no pair is built); a rule whose count exceeds
``max(records × max_comparisons_per_record, min_comparison_limit)`` (``ModelOptions``) raises
:class:`BlockingExplosionError` before Splink does any work.

Splink 5.0's ``splink.blocking_analysis.count_comparisons_from_blocking_rules`` builds the blocked
pairs (on a 5 % hash sample by default) to count them after filter conditions; our rules are plain
equi-joins, for which the ``GROUP BY`` count is exact and its cost does not grow with the pairs.
The tests check both counts agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

LIMIT_OPTION = "--max-comparisons-per-record"
LIMIT_ENV = "TAXLOOP_RESOLVE_MAX_COMPARISONS_PER_RECORD"
TOP_KEYS = 5


@dataclass
class RuleCount:
    """The comparisons one blocking rule makes on a record set, and its largest blocks when counted."""

    rule: tuple[str, ...]
    stage: str
    records: int
    comparisons: int
    top_keys: list[tuple[str, int]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " & ".join(self.rule)

    @property
    def per_record(self) -> float:
        return self.comparisons / self.records if self.records else 0.0


def comparison_limit(records: int, per_record: float, floor: int) -> int:
    """The most comparisons one blocking rule may make: ``max(records × per_record, floor)``."""
    return max(int(records * per_record), floor)


class BlockingExplosionError(ValueError):
    """A blocking rule would make more comparisons than the limit allows (raised before Splink runs)."""

    def __init__(self, count: RuleCount, per_record: float, floor: int, others: Sequence[RuleCount] = ()) -> None:
        self.count = count
        self.per_record_limit = per_record
        self.floor = floor
        self.limit = comparison_limit(count.records, per_record, floor)
        self.others = list(others)
        super().__init__(self._message())

    def _message(self) -> str:
        c, n, per = self.count, self.count.records, self.per_record_limit
        stage_zh = "预测" if c.stage.startswith("prediction") else "训练"
        keys = "; ".join(f"{value} × {size:,}" for value, size in c.top_keys) or "-"
        others = "".join(f"\nAlso over the limit / 同样超限: `{o.label}` {o.comparisons:,}" for o in self.others)
        suggest = max(int(c.per_record) + 1, int(per) * 2)
        return (
            f"blocking explosion / 分块比较数超限: blocking rule `{c.label}` would make {c.comparisons:,} comparisons "
            f"for {c.stage} on {n:,} records ({c.per_record:,.1f} per record), above the limit of {self.limit:,} "
            f"({n:,} records × {per:g}, at least {self.floor:,}).\n"
            f"分块规则 `{c.label}` 在{stage_zh}阶段对 {n:,} 条记录将产生 {c.comparisons:,} 次比较"
            f"（每条记录 {c.per_record:,.1f} 次），超过上限 {self.limit:,}"
            f"（记录数 × {per:g}，至少 {self.floor:,}）。{others}\n"
            f"Largest blocks / 最大分块 (value × records 值 × 记录数): {keys}\n"
            f"To raise the limit / 提高上限: `taxloop resolve {LIMIT_OPTION} {suggest}` or {LIMIT_ENV}={suggest} "
            "(0 turns the guard off / 0 关闭检查). Memory grows with the comparisons: first check whether these "
            "repeated values are placeholders or copied records / "
            "内存随比较数增长，请先检查这些重复值是否为占位值或重复记录。"
        )


def _key_sql(rule: Sequence[str]) -> tuple[str, str]:
    keys = ", ".join(f"{expr} AS k{i}" for i, expr in enumerate(rule))
    where = " AND ".join(f"({expr}) IS NOT NULL" for expr in rule)
    return keys, where


def _shorten(value: object, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def count_comparisons(
    records: pa.Table, rules: Sequence[Sequence[str]], stage: str, top: int = 0
) -> list[RuleCount]:
    """Comparisons each rule makes on ``records`` (dedupe: pairs of distinct records agreeing on every key).

    A rule is a list of SQL expressions over the record columns, as in ``ModelOptions.blocking``; a
    record with a NULL key is in no block (as in Splink's equi-join). ``top`` > 0 also lists the
    ``top`` largest blocks of each rule.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("records", records)
        counts = []
        for rule in rules:
            keys, where = _key_sql(rule)
            blocks = f"SELECT {keys}, count(*) AS n FROM records WHERE {where} GROUP BY ALL"
            row = con.execute(f"SELECT coalesce(sum(n * (n - 1) // 2), 0)::BIGINT FROM ({blocks})").fetchone()
            count = RuleCount(tuple(rule), stage, records.num_rows, int(row[0]) if row else 0)
            if top > 0:
                names = ", ".join(f"k{i}" for i in range(len(rule)))
                for *values, n in con.execute(f"{blocks} ORDER BY n DESC, {names} LIMIT {int(top)}").fetchall():
                    shown = " | ".join(_shorten(v) for v in values)
                    count.top_keys.append((f"'{shown}'", int(n)))
            counts.append(count)
        return counts
    finally:
        con.close()


def check_comparisons(
    records: pa.Table, rules: Sequence[Sequence[str]], stage: str, per_record: float, floor: int = 0
) -> list[RuleCount]:
    """Count the rules' comparisons; raise :class:`BlockingExplosionError` naming the largest rule over the limit.

    The limit is :func:`comparison_limit`; ``per_record`` ≤ 0 turns the guard off (the counts are
    still returned).
    """
    counts = count_comparisons(records, rules, stage)
    if per_record <= 0:
        return counts
    limit = comparison_limit(records.num_rows, per_record, floor)
    over = sorted((c for c in counts if c.comparisons > limit), key=lambda c: -c.comparisons)
    if over:
        worst = count_comparisons(records, [over[0].rule], stage, top=TOP_KEYS)[0]
        raise BlockingExplosionError(worst, per_record, floor, over[1:])
    return counts
