"""The month table (taxloop.analytics.tin_months, taxloop.features.months): written with the keys, read in place of
the monthly sources' FULL OUTER JOINs only when the key manifest vouches for it, and the features and hits are the
same with it or without."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from synth_city import city_warehouse, small_city

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import prepare_keys
from taxloop.analytics.keys_manifest import Entry, read_manifest, write_manifest
from taxloop.analytics.tin_months import LAYOUT, MONTHLY_SOURCES, MONTHS, covered
from taxloop.analytics.warehouse import Warehouse
from taxloop.features import FEATURE_TABLES, build_features, build_pruned
from taxloop.features.months import MERGED, merge_months, months_covered, months_notice
from taxloop.features.plan import feature_sql_rendered, plan_features
from taxloop.features.prune import parse
from taxloop.load import load_dataset
from taxloop.load.keys import index_warehouse
from taxloop.risk.library import load_library
from taxloop.rules.compile import compile_rule

ALL = frozenset(MONTHLY_SOURCES)
PRESENT = frozenset({"taxpayers", "invoices", "payments", "tin_keys", *MONTHLY_SOURCES})


def _period_sql(buckets: int = 1) -> str:
    return feature_sql_rendered("features_period", PRESENT, 0, buckets, span=300)


@pytest.mark.parametrize("buckets", [1, 3])
def test_the_four_sources_leave_the_chain_for_one_read_of_the_month_table(buckets: int) -> None:
    tree = parse(_period_sql(buckets))
    assert merge_months(tree, ALL)
    sql = tree.sql(dialect="duckdb")
    assert f"FULL OUTER JOIN {MERGED} USING (tin_key, pidx)" in sql and f"FROM {MONTHS} WHERE" in sql
    for source in MONTHLY_SOURCES:
        assert f"FROM {source}" not in sql
    assert "FULL OUTER JOIN vat " not in sql and "FULL OUTER JOIN util " not in sql
    assert sql.count("(tin_key <= 100 OR tin_key IS NULL)") == (buckets == 3)  # the bucket predicate is kept, once


def test_nothing_changes_for_fewer_than_two_members_or_other_shapes() -> None:
    assert not merge_months(parse(_period_sql()), frozenset({"vat_returns"}))
    assert not merge_months(parse(_period_sql()), frozenset())
    grouped = (
        "WITH a AS (SELECT tin_key, {p} AS pidx, sum(sales) AS s FROM vat_returns GROUP BY 1, 2), "
        "b AS (SELECT tin_key, {p} AS pidx, kwh FROM utilities) SELECT * FROM a FULL OUTER JOIN b USING (tin_key, pidx)"
    )
    p = "CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1"
    assert not merge_months(parse(grouped.format(p=p)), ALL)  # a GROUP BY member is not a row-by-row read
    other = grouped.replace("sum(sales) AS s", "sales").replace(" GROUP BY 1, 2", "")
    assert merge_months(parse(other.format(p=p)), ALL)
    assert not merge_months(parse(other.format(p="CAST(substr(period, 6, 2) AS INTEGER)")), ALL)  # another index
    inner = other.replace("FULL OUTER JOIN", "JOIN")
    assert not merge_months(parse(inner.format(p=p)), ALL)  # an inner join filters: not a chain member
    qualified = other.replace("SELECT * FROM a", "SELECT a.sales FROM a")
    assert not merge_months(parse(qualified.format(p=p)), ALL)


def _features(wh: Warehouse) -> tuple[frozenset[str], dict[str, list[str]]]:
    """The sources read from the month table, and every feature table's rows (sorted reprs)."""
    backend = DuckDBBackend(wh, threads=1)
    try:
        used = months_covered(backend, prepare_keys(backend))
        build_features(backend)
        return used, {t: sorted(map(repr, backend.query(f"SELECT * FROM {t}").to_pylist())) for t in FEATURE_TABLES}
    finally:
        backend.close()


def _notice(wh: Warehouse) -> str | None:
    backend = DuckDBBackend(wh, threads=1)
    try:
        return months_notice(backend)
    finally:
        backend.close()


def _rule_rows(wh: Warehouse, specs: list[Any]) -> dict[str, list[str]]:
    backend = DuckDBBackend(wh, threads=1)
    try:
        build_pruned(backend, specs)
        return {s.code: sorted(map(repr, backend.query(compile_rule(s)).to_pylist())) for s in specs}
    finally:
        backend.close()


def _one_per_shape(specs: list[Any], wh: Warehouse) -> list[Any]:
    """One rule per shape of its pruned, merged ``features_period`` (which members, which is first in the chain)."""
    present = set(wh.names()) | {MONTHS}
    shapes: dict[tuple[object, ...], Any] = {}
    for spec in specs:
        sql = plan_features([spec], present, months=ALL).sql.get("features_period", [""])[0]
        members = tuple(s for s in MONTHLY_SOURCES if f"present__{s}" in sql)
        shapes.setdefault((members, f"FROM {MERGED} " in sql, MONTHS in sql), spec)
    assert len(shapes) >= 4, shapes.keys()
    return list(shapes.values())


@pytest.mark.slow
def test_features_and_pruned_rules_same_with_the_month_table_or_without(tmp_path: Path) -> None:
    wh = city_warehouse(tmp_path / "wh")
    run = index_warehouse(wh)
    assert MONTHS in run.seconds and wh.find(MONTHS) is not None
    assert covered(wh, read_manifest(wh), set(wh.names()) | set(wh.names("derived"))) == ALL
    assert index_warehouse(wh).seconds == {}  # a second run writes nothing: the month table is usable as it is
    used, with_months = _features(wh)
    specs = [s for s in load_library() if s.category != "network" and "features_period" in s.tables]
    pruned = _rule_rows(wh, specs)
    per_rule = {s.code: _rule_rows(wh, [s])[s.code] for s in _one_per_shape(specs, wh)}
    assert used == ALL
    plain = Warehouse(tmp_path / "plain")
    shutil.copytree(wh.root, plain.root)
    shutil.rmtree(plain.table_dir(MONTHS, "derived"))
    used, without = _features(plain)
    assert used == frozenset()
    assert with_months == without
    assert _rule_rows(plain, specs) == pruned
    assert per_rule == {code: pruned[code] for code in per_rule}
    assert sum(bool(rows) for rows in pruned.values()) >= 10  # rules that fire, not only empty answers
    plan = plan_features(specs[:3], set(wh.names()) | {MONTHS}, months=ALL)
    assert MONTHS in plan.sql["features_period"][0]


@pytest.mark.slow
def test_a_source_changed_since_is_read_from_its_files_again(tmp_path: Path) -> None:
    wh = city_warehouse(tmp_path / "wh")
    index_warehouse(wh)
    part = sorted(wh.table_dir("utilities").glob("*.parquet"))[0]
    st = part.stat()
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # rewritten since it was recorded
    assert covered(wh, read_manifest(wh), set(wh.names()) | {MONTHS}) == frozenset()
    assert _features(wh)[0] == frozenset()
    index_warehouse(wh)  # verifies the utilities keys, records them, and writes the month table again
    assert _features(wh)[0] == ALL
    manifest = read_manifest(wh)
    entry = manifest.tables[MONTHS]
    manifest.tables[MONTHS] = Entry(entry.folder, entry.files, entry.generation, entry.inputs, LAYOUT - 1)
    write_manifest(wh, manifest)  # as an older taxloop recorded it: another layout is not read
    assert _features(wh)[0] == frozenset()
    assert f"taxloop keys -w {wh.root}" in (_notice(wh) or "")  # a scan says so, with the fix
    assert MONTHS in index_warehouse(wh).seconds and _features(wh)[0] == ALL
    assert _notice(wh) is None
    shutil.rmtree(wh.table_dir("social_insurance"))  # a source gone: the table built with it is not used
    assert covered(wh, read_manifest(wh), set(wh.names()) | {MONTHS}) == frozenset()


@pytest.mark.slow
def test_the_loader_writes_the_month_table_and_rewrites_it_after_a_monthly_load(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    report = load_dataset(small_city(), wh)
    assert not report.warnings
    assert _features(wh)[0] == ALL
    before = read_manifest(wh).tables[MONTHS]
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    shutil.copy(small_city() / "utilities.csv", delivery / "utilities.csv")
    load_dataset(delivery, wh)
    after = read_manifest(wh).tables[MONTHS]
    assert after.inputs is not None and before.inputs is not None
    assert after.inputs["utilities"] != before.inputs["utilities"]
    assert _features(wh)[0] == ALL


def test_merged_query_gives_the_chains_rows_with_nulls_where_a_member_had_none() -> None:
    """Tiny sources: a key in one source only, in both, a NULL value, a key-only member; the merged query (month
    table first in its chain, non-strict expressions) answers exactly what the chain answers."""
    import duckdb

    from taxloop.analytics.tin_months import months_sql

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE vat_returns AS SELECT * FROM (VALUES (1, '2024-01', 10.0, NULL), (1, '2024-02', NULL, 2.0), "
        "(2, '2024-01', 5.0, 1.0)) t(tin_key, period, sales, exempt_sales)"
    )
    con.execute(
        "CREATE TABLE utilities AS SELECT * FROM (VALUES (1, '2024-02', 7.0), (3, '2024-03', NULL)) "
        "t(tin_key, period, kwh)"
    )
    con.execute("CREATE TABLE social_insurance AS SELECT * FROM (VALUES (4, '2024-05', 3)) t(tin_key, period, insured)")
    cols = {
        t: [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()] for t in MONTHLY_SOURCES[:1] + MONTHLY_SOURCES[2:]
    }
    con.execute(f"CREATE TABLE {MONTHS} AS {months_sql({t: (t, c) for t, c in cols.items()})}")
    p = "CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1"
    sql = (
        f"WITH v AS (SELECT tin_key, {p} AS pidx, CAST(1 AS BIGINT) AS n, sales, coalesce(exempt_sales, 0) AS ex, "
        f"sales + 1 AS s1 FROM vat_returns WHERE tin_key < 4), "
        f"u AS (SELECT tin_key, {p} AS pidx, CAST(kwh AS DOUBLE) AS kwh, coalesce(kwh, -1) AS k2 FROM utilities), "
        f"s AS (SELECT tin_key, {p} AS pidx FROM social_insurance) "
        "SELECT * FROM v FULL OUTER JOIN u USING (tin_key, pidx) FULL OUTER JOIN s USING (tin_key, pidx)"
    )
    tree = parse(sql)
    assert merge_months(tree, ALL)
    merged = tree.sql(dialect="duckdb")
    assert f"FROM {MERGED} FULL" not in merged and f"FROM {MONTHS}" in merged and "FROM vat_returns" not in merged
    expected = sorted(con.execute(sql).fetchall(), key=repr)
    assert len(expected) == 5 and sorted(con.execute(merged).fetchall(), key=repr) == expected


def _rewrite(wh: Warehouse, table: str, select: str) -> None:
    """Replace ``table``'s files by ``select`` over its rows (``t``), as a tool writing tables would."""
    import duckdb

    folder = wh.table_dir(table)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{folder}/*.parquet')")
    shutil.rmtree(folder)
    folder.mkdir()
    con.execute(f"COPY ({select}) TO '{folder / 'part-0.parquet'}' (FORMAT parquet)")
    con.close()


@pytest.mark.slow
def test_keys_writes_no_month_table_for_bad_periods_or_duplicate_keys_and_removes_a_stale_one(tmp_path: Path) -> None:
    """Review findings: a period that is no month fails the month table, not `taxloop keys`; a source with two rows
    for one (tin_key, month) gets no month table (a pruned read would multiply rows); a month table whose sources
    are gone is removed with its manifest entry, not left as a copy of deleted data."""
    wh = city_warehouse(tmp_path / "wh")
    index_warehouse(wh)
    assert wh.find(MONTHS) is not None
    _rewrite(
        wh,
        "utilities",
        "SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN '' ELSE period END AS period) FROM t",
    )
    run = index_warehouse(wh)
    assert run.warnings and "month table not written" in run.warnings[0] and wh.find(MONTHS) is None
    assert MONTHS not in read_manifest(wh).tables
    _rewrite(
        wh, "utilities", "SELECT * REPLACE (CASE WHEN period = '' THEN '2023-01' ELSE period END AS period) FROM t"
    )
    _rewrite(wh, "social_insurance", "SELECT * FROM t UNION ALL SELECT * FROM t")  # every key twice
    run = index_warehouse(wh)
    assert MONTHS not in run.seconds and wh.find(MONTHS) is None
    assert len(run.warnings) == 1 and "social_insurance has two rows for one TIN and month" in run.warnings[0]
    _rewrite(wh, "social_insurance", "SELECT DISTINCT * FROM t")
    assert MONTHS in index_warehouse(wh).seconds and _features(wh)[0] == ALL
    for source in MONTHLY_SOURCES:
        shutil.rmtree(wh.table_dir(source))
    index_warehouse(wh)
    assert not wh.table_dir(MONTHS, "derived").exists() and MONTHS not in read_manifest(wh).tables


def test_a_source_column_named_present_does_not_take_the_flags_name() -> None:
    import duckdb

    from taxloop.analytics.tin_months import months_sql

    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT 1 AS tin_key, '2024-01' AS period, FALSE AS present")
    con.execute("CREATE TABLE u AS SELECT 2 AS tin_key, '2024-01' AS period, 5 AS kwh")
    sql = months_sql(
        {"vat_returns": ("v", ["tin_key", "period", "present"]), "utilities": ("u", ["tin_key", "period", "kwh"])}
    )
    rows = con.execute(f"SELECT present__vat_returns, vat_returns__present FROM ({sql}) ORDER BY tin_key").fetchall()
    assert rows == [(True, False), (False, None)]
