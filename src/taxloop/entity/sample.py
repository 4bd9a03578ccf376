"""Crafted registration records with known duplicates, for tests, demos and the resolve benchmark.

Each true entity is an enterprise with a USCC-like TIN, a Chinese name, legal representative, phone,
address and region. A share of the entities get a second record: a TIN change (recorded as a
``taxpayer_changes`` row), a second region under the same TIN, or formatting variants (full-width
characters, 有限责任公司 for 有限公司, a ``(深圳)`` bracket, spaces, ``+86`` phones). Some people are
legal representative of several unrelated firms (hard negatives). Vectorised with numpy.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_CHARS = list("华强腾讯宏远新盛达鑫源恒通联创信泰丰和美佳安顺康宁海德光明兴旺瑞祥金银川湘楚粤闽浙江苏豫晋冀辽吉黑")
_TRADES = ["科技", "贸易", "电子", "实业", "物流", "建材", "医药", "食品", "服装", "机械", "化工", "咨询"]
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂")
_DISTRICTS = ["南山区", "福田区", "罗湖区", "宝安区", "龙岗区", "龙华区"]
_ROADS = ["深南大道", "科技园路", "滨海大道", "宝安大道", "布吉路", "民治大道", "红荔路"]
_REGIONS = ["14403050000", "14403040000", "14403030000", "14403060000", "14403070000", "14403090000"]
_ALNUM = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))


def _pick(rng: np.random.Generator, pool: list[str], n: int, k: int) -> np.ndarray:
    parts = rng.choice(np.array(pool), size=(n, k))
    return np.array(["".join(p) for p in parts])


def _tins(rng: np.random.Generator, n: int) -> np.ndarray:
    body = rng.choice(_ALNUM, size=(n, 10))
    return np.array(["91440300" + "".join(b) for b in body])


def _fullwidth(values: np.ndarray) -> np.ndarray:
    table = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()"}
    trans = str.maketrans(table)
    return np.array([v.translate(trans) for v in values])


def make_registrations(
    n_entities: int, dup_share: float = 0.05, seed: int = 7
) -> tuple[pa.Table, pa.Table, dict[str, str]]:
    """``(taxpayers rows, taxpayer_changes rows, registration_id -> true entity)``."""
    rng = np.random.default_rng(seed)
    n = n_entities
    ent = np.array([f"T{i:07d}" for i in range(n)])
    tin = _tins(rng, n)
    core = np.char.add(_pick(rng, _CHARS, n, 3), rng.choice(np.array(_TRADES), n))
    name = np.char.add(np.char.add("深圳市", core), "有限公司")
    rep_pool = np.array(
        [
            f"4403{y}{m:02d}{d:02d}{s:04d}"
            for y, m, d, s in zip(
                rng.integers(1960, 2000, n),
                rng.integers(1, 13, n),
                rng.integers(1, 29, n),
                rng.integers(0, 9999, n),
                strict=True,
            )
        ]
    )
    rep_idx = np.where(rng.random(n) < 0.1, rng.integers(0, max(1, n // 20), n), np.arange(n))
    rep_id = rep_pool[rep_idx]
    rep_name = np.char.add(rng.choice(np.array(_SURNAMES), n), _pick(rng, _GIVEN, n, 2))[rep_idx]
    phone = np.array([f"1{a}{b:09d}" for a, b in zip(rng.integers(3, 10, n), rng.integers(0, 10**9, n), strict=True)])
    address = np.array(
        [
            f"深圳市{d}{r}{k}号"
            for d, r, k in zip(
                rng.choice(np.array(_DISTRICTS), n),
                rng.choice(np.array(_ROADS), n),
                rng.integers(1, 3000, n),
                strict=True,
            )
        ]
    )
    region = rng.choice(np.array(_REGIONS), n)
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("tin", "name", "legal_rep_id", "legal_rep_name", "phone", "address", "region_code", "entity")
    }

    def add(mask: np.ndarray, **over: np.ndarray) -> None:
        base = {
            "tin": tin,
            "name": name,
            "legal_rep_id": rep_id,
            "legal_rep_name": rep_name,
            "phone": phone,
            "address": address,
            "region_code": region,
            "entity": ent,
        }
        for k, v in base.items():
            cols[k].append(over.get(k, v)[mask] if k in over else v[mask])

    everyone = np.ones(n, dtype=bool)
    add(everyone)
    dup = rng.random(n) < dup_share
    kind = rng.integers(0, 3, n)
    new_tin = _tins(rng, n)
    variant = np.where(
        rng.random(n) < 0.5,
        np.char.add(np.char.add("深圳市", core), "有限责任公司"),
        np.char.add(np.char.add(core, "(深圳)"), "有限公司"),
    )
    plus86 = np.char.add("+86 ", phone)
    other_region = np.array(_REGIONS)[(np.searchsorted(np.array(_REGIONS), region) + 1) % len(_REGIONS)]
    add(dup & (kind == 0), tin=new_tin)
    add(dup & (kind == 1), region_code=other_region, name=_fullwidth(variant), phone=plus86)
    add(dup & (kind == 2), tin=new_tin, name=variant, address=_fullwidth(address), phone=plus86)
    data = {k: np.concatenate(v) for k, v in cols.items()}
    total = len(data["tin"])
    reg_ids = np.array([f"R{i:08d}" for i in rng.permutation(total)])
    taxpayers = pa.table(
        {
            "registration_id": reg_ids,
            "tin": data["tin"],
            "name": data["name"],
            "kind": np.full(total, "enterprise"),
            "legal_rep_id": data["legal_rep_id"],
            "legal_rep_name": data["legal_rep_name"],
            "address": data["address"],
            "phone": data["phone"],
            "industry_code": np.full(total, "F5191"),
            "region_code": data["region_code"],
            "registered_on": pa.array(np.full(total, np.datetime64("2020-01-01", "D"))),
            "status": np.full(total, "normal"),
        }
    )
    changed = dup & (kind == 0)
    changes = pa.table(
        {
            "tin": new_tin[changed],
            "field": np.full(int(changed.sum()), "tin"),
            "old_value": tin[changed],
            "new_value": new_tin[changed],
            "changed_on": pa.array(np.full(int(changed.sum()), np.datetime64("2023-06-01", "D"))),
        }
    )
    truth = dict(zip(reg_ids.tolist(), data["entity"].tolist(), strict=True))
    return taxpayers, changes, truth


def entity_lookup(entity_map: pa.Table) -> dict[str, str]:
    """``registration_id -> entity_id`` from an entity_map table."""
    ids = pc.cast(entity_map["registration_id"], pa.string()).to_pylist()
    return dict(zip(ids, entity_map["entity_id"].to_pylist(), strict=True))
