"""The synthetic city follows the contract, is deterministic and its truth files are consistent."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from synth_city import connect, rows, small_city

from taxloop.contract.schema import load_contract
from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_contract_table_present_with_contract_columns() -> None:
    city = small_city()
    for name, spec in load_contract().tables.items():
        path = city / f"{name}.csv"
        assert path.is_file(), f"missing table {name}"
        with path.open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header == list(spec.columns), name
    con = connect(city)
    for name in load_contract().tables:
        assert rows(con, f"select count(*) from {name}")[0][0] > 0, f"{name} is empty"


def test_keys_unique_and_enums_valid() -> None:
    con = connect(small_city())
    for name, spec in load_contract().tables.items():
        if spec.key:
            key = ", ".join(spec.key)
            dup = rows(con, f"select count(*) from (select {key} from {name} group by all having count(*) > 1)")
            assert dup[0][0] == 0, f"duplicate key in {name}"
        for col in spec.columns.values():
            if col.values:
                allowed = ", ".join(f"'{v}'" for v in col.values)
                bad = rows(con, f"select count(*) from {name} where {col.name} not in ({allowed})")
                assert bad[0][0] == 0, f"{name}.{col.name} has values outside the contract"
            if not col.optional:
                nulls = rows(con, f"select count(*) from {name} where {col.name} is null")
                assert nulls[0][0] == 0, f"{name}.{col.name} has empty required values"
            if col.min is not None and col.type in ("decimal", "int"):
                low = rows(con, f"select count(*) from {name} where {col.name} < {col.min}")
                assert low[0][0] == 0, f"{name}.{col.name} below its minimum"


def test_third_party_tables_carry_provider() -> None:
    con = connect(small_city())
    expected = {
        "property_transfers": "REG",
        "land_parcels": "NRD",
        "social_insurance": "HRSS",
        "utilities": "POWER",
        "market_registrations": "SAMR",
        "customs_declarations": "CUSTOMS",
    }
    for table, provider in expected.items():
        assert rows(con, f"select distinct provider from {table}") == [(provider,)]
        assert rows(con, f"select count(*) from {table} where delivered_on is null")[0][0] == 0


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    params = SynthParams(taxpayers=300, months=12, seed=3)
    generate_city(tmp_path / "a", params, show_progress=False)
    generate_city(tmp_path / "b", params, show_progress=False)
    generate_city(tmp_path / "c", SynthParams(taxpayers=300, months=12, seed=4), show_progress=False)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert a == b
    assert a["invoices.csv"] != c["invoices.csv"]


def test_parquet_format_partitions_invoices(tmp_path: Path) -> None:
    generate_city(tmp_path / "p", SynthParams(taxpayers=300, months=12, seed=3, fmt="parquet"), show_progress=False)
    parts = sorted((tmp_path / "p" / "invoices").glob("part-*.parquet"))
    assert len(parts) == 12
    schema = pq.read_schema(parts[0])
    assert str(schema.field("amount").type) == "decimal128(18, 2)"
    assert (tmp_path / "p" / "vat_returns.parquet").is_file()


def test_truth_consistent_with_data() -> None:
    con = connect(small_city())
    assert rows(con, "select count(*) from truth_entities") == rows(con, "select count(*) from taxpayers")
    missing = rows(con, "select count(*) from truth_entities e anti join taxpayers t using (registration_id)")
    assert missing[0][0] == 0
    assert rows(con, "select count(*) from truth_taxpayer_schemes s anti join taxpayers t using (tin)")[0][0] == 0
    assert rows(con, "select count(*) from truth_gangs g anti join truth_taxpayer_schemes s using (tin)")[0][0] == 0
    roles = rows(con, "select role, count(*) from truth_gangs group by role order by role")
    assert [r[0] for r in roles] == ["pass_through", "recipient", "source"]
    bad_ops = rows(
        con,
        """select count(*) from truth_integrity_violations v anti join operation_log o
                           on o.op_id = v.op_id and o.officer_id = v.officer_id""",
    )
    assert bad_ops[0][0] == 0
    kinds = {r[0] for r in rows(con, "select distinct violation from truth_integrity_violations")}
    assert len(kinds) == 8
    schemes = {r[0] for r in rows(con, "select distinct scheme from truth_taxpayer_schemes")}
    assert len(schemes) == 12


@pytest.mark.parametrize("bad", [{"taxpayers": 10}, {"months": 3}, {"start": "2023/01"}])
def test_bad_parameters_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SynthParams(**bad)  # type: ignore[arg-type]
