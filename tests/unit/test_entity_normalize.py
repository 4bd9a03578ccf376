"""Normalisation of names, phones, addresses, TINs and birth dates."""

from __future__ import annotations

import pyarrow as pa
import pytest

from taxloop.entity.normalize import (
    birth_dates_from_ids,
    normalize_address,
    normalize_name,
    normalize_phone,
    normalize_tin,
)
from taxloop.entity.records import prepare_records, tin_roots


@pytest.mark.parametrize(
    "raw",
    [
        "深圳市华强电子科技有限公司",
        "华强电子科技（深圳）有限责任公司",
        "深圳市 华强 电子科技股份有限公司",
        "华强电子科技公司",
    ],
)
def test_company_name_variants_share_one_core(raw: str) -> None:
    assert normalize_name(raw) == "华强电子科技"


def test_full_width_and_english_legal_forms() -> None:
    assert normalize_name("ＨＵＡＱＩＡＮＧ  Co., Ltd.") == "huaqiang"
    assert normalize_name("Acme Company Limited") == "acme"
    assert normalize_name("张伟") == "张伟"  # a person's name keeps what it has
    assert normalize_name("") is None and normalize_name(None) is None


def test_phones_addresses_tins() -> None:
    assert normalize_phone("+86 138-0013-8000") == normalize_phone("13800138000") == "13800138000"
    assert normalize_phone("0755-8888 1234") == "075588881234"
    assert normalize_address("深圳市 南山区，科技园１号") == "深圳市南山区科技园1号"
    assert normalize_tin(" 91440300-ma5x ") == "91440300MA5X"


def test_birth_date_from_resident_id() -> None:
    got = birth_dates_from_ids(pa.array(["44030019900101123X", "123", None])).to_pylist()
    assert got == ["19900101", None, None]


def test_tin_chains_map_to_one_root() -> None:
    roots = tin_roots([("B", "C"), ("A", "B"), ("X", "Y")])
    assert roots == {"A": "A", "B": "A", "C": "A", "X": "X", "Y": "X"}
    raw = pa.table({"registration_id": ["1", "2", "3"], "tin": ["c", "A", "Z"], "name": ["甲公司", "甲有限公司", "乙"]})
    rec = prepare_records(raw, [("A", "B"), ("B", "C")])
    assert rec["tin_root"].to_pylist() == ["A", "A", "Z"]
    assert rec["name_norm"].to_pylist() == ["甲", "甲", "乙"]


def test_records_need_registration_id_and_tin() -> None:
    with pytest.raises(ValueError, match="registration_id and tin"):
        prepare_records(pa.table({"tin": ["1"]}))
