"""The contract as data matches the contract README's tables."""

from taxloop.contract.schema import load_contract


def test_every_contract_table_is_present() -> None:
    contract = load_contract()
    expected = {
        "taxpayers",
        "taxpayer_changes",
        "vat_returns",
        "cit_returns",
        "iit_withholding",
        "other_returns",
        "payments",
        "invoices",
        "audit_outcomes",
        "property_transfers",
        "land_parcels",
        "social_insurance",
        "utilities",
        "market_registrations",
        "customs_declarations",
        "officers",
        "operation_log",
    }
    assert set(contract.tables) == expected


def test_third_party_tables_carry_provider_columns() -> None:
    contract = load_contract()
    for table in contract.tables.values():
        has = {"provider", "delivered_on"} <= set(table.columns)
        assert has == (table.group == "third_party"), table.name


def test_money_is_decimal_not_float() -> None:
    inv = load_contract().table("invoices")
    assert inv.columns["amount"].duckdb_type == "DECIMAL(18,2)"
    assert inv.columns["kind"].values == ["special", "ordinary"]
