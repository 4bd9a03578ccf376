"""Vectorised Chinese names, company names, addresses, phones, ID numbers and credit codes (pyarrow strings)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = list(
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红"
    "健建国志军海波辉鹏飞宇浩然子轩欣怡梓涵雨泽俊杰思远博文嘉"
)
BRAND = list(
    "华创盛鑫达源泰兴恒信宏远德丰瑞祥汇通金隆嘉和顺安利新博"
    "誉佳辰星光宇航科联晟荣晖腾跃锦程鸿运海川亿成志诚明乐康永"
)
STREETS = ["深南大道", "滨河大道", "北环大道", "新洲路", "科苑路", "宝安大道", "龙岗大道", "布吉路",
           "民治大道", "人民路", "建设路", "解放路", "北京路", "正源街", "文化路", "长城路",
           "金凤路", "怀远路", "黄河路", "沙井路"]
BUILDINGS = ["大厦", "广场", "中心", "科技园", "工业区", "商务楼"]


def _pick(pool: list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(pool).take(pa.array(idx))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings of non-negative integers."""
    return pc.utf8_lpad(pc.cast(pa.array(values.astype(np.int64)), pa.string()), width, "0")


def person_names(rng: np.random.Generator, n: int) -> pa.Array:
    """Chinese personal names: surname + 1 or 2 given characters."""
    sur = _pick(SURNAMES, rng.integers(0, len(SURNAMES), n))
    g1 = _pick(GIVEN, rng.integers(0, len(GIVEN), n))
    two = rng.random(n) < 0.7
    g2 = _pick(GIVEN, rng.integers(0, len(GIVEN), n))
    g2 = pc.if_else(pa.array(two), g2, "")
    return _join(sur, g1, g2)


def id_numbers(rng: np.random.Generator, n: int, area: pa.Array, first_seq: int = 0) -> pa.Array:
    """18-character resident ID numbers (area code, birth date, sequence, check digit), unique within a call.

    Birth dates (1958-01-01 .. 1999-12-31) and sequence numbers come from a permutation of 0..n-1, so no two
    people share a number; different ``first_seq`` ranges keep separate calls apart (people 0-899, officers 900+).
    """
    n_days = 15340
    serial = rng.permutation(n)
    seq = first_seq + serial // n_days
    if n and int(seq.max()) > 999:
        raise ValueError(f"too many ID numbers for one call: {n}")
    day = (serial * 7919 + int(rng.integers(0, n_days))) % n_days  # 7919 is prime to n_days: still one-to-one
    born = np.datetime64("1958-01-01") + day.astype("timedelta64[D]")
    year = born.astype("datetime64[Y]")
    month = born.astype("datetime64[M]")
    ymd = ((year.astype(np.int64) + 1970) * 10000 + ((month - year).astype(np.int64) + 1) * 100
           + (born - month).astype(np.int64) + 1)
    check = np.array(list("0123456789X"))[rng.integers(0, 11, n)]
    return _join(area, digits(ymd, 8), digits(seq, 3), pa.array(check))


def phones(rng: np.random.Generator, n: int, area_code: pa.Array) -> pa.Array:
    """Mobile numbers (70 %) or landlines with the city area code."""
    mobile = _join("1", _pick(["3", "5", "7", "8", "9"], rng.integers(0, 5, n)), digits(rng.integers(0, 10**9, n), 9))
    land = _join(area_code, "-", digits(rng.integers(2 * 10**7, 9 * 10**7, n), 8))
    return pc.if_else(pa.array(rng.random(n) < 0.7), mobile, land)


def credit_codes(rng: np.random.Generator, n: int, prefix: pa.Array, area: pa.Array, serial: np.ndarray) -> pa.Array:
    """Unified social credit codes: prefix (91 enterprise / 92 individual business) + area + 10 chars.

    ``serial`` must be unique per code: it is spread into the last ten characters, so codes never collide.
    """
    alphabet = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    scrambled = (serial.astype(np.int64) * 2654435761 + 97) % (31**7)
    chars = []
    for _ in range(7):
        chars.append(alphabet[scrambled % 31])
        scrambled //= 31
    head = alphabet[rng.integers(0, 31, (n, 2))]
    body = np.char.add(head[:, 0], head[:, 1])
    for c in chars:
        body = np.char.add(body, c)
    tail = alphabet[rng.integers(0, 31, n)]
    return _join(prefix, area, pa.array(np.char.add(body, tail)))


def company_names(rng: np.random.Generator, n: int, city: pa.Array, word: pa.Array, individual: np.ndarray) -> pa.Array:
    """Company names like 深圳市华创鑫科技有限公司; individual businesses like 福田区华创商行."""
    b1 = _pick(BRAND, rng.integers(0, len(BRAND), n))
    b2 = _pick(BRAND, rng.integers(0, len(BRAND), n))
    b3 = pc.if_else(pa.array(rng.random(n) < 0.6), _pick(BRAND, rng.integers(0, len(BRAND), n)), "")
    suffix = pc.if_else(pa.array(rng.random(n) < 0.9), "有限公司", "有限责任公司")
    firm = _join(city, b1, b2, b3, word, suffix)
    shop = _join(city, b1, b2, b3, _pick(["商行", "经营部", "店", "工作室"], rng.integers(0, 4, n)))
    return pc.if_else(pa.array(individual), shop, firm)


def addresses(rng: np.random.Generator, n: int, province: pa.Array, city: pa.Array, district: pa.Array) -> pa.Array:
    """Registered addresses: province, city, district, street, number, building, room."""
    street = _pick(STREETS, rng.integers(0, len(STREETS), n))
    num = digits(rng.integers(1, 3000, n), 1)
    bld = _pick(BRAND, rng.integers(0, len(BRAND), n))
    kind = _pick(BUILDINGS, rng.integers(0, len(BUILDINGS), n))
    room = digits(rng.integers(101, 3200, n), 3)
    return _join(province, city, district, street, num, "号", bld, kind, room, "室")


def variant_names(rng: np.random.Generator, names: pa.Array, district: pa.Array) -> pa.Array:
    """Formatting variants of company names: full-width, 有限责任公司, spaces, (深圳) brackets."""
    n = len(names)
    kind = rng.integers(0, 4, n)
    full = pc.replace_substring(names, "有限", " 有限")
    swapped = pc.if_else(
        pc.match_substring(names, "有限责任公司"),
        pc.replace_substring(names, "有限责任公司", "有限公司"),
        pc.replace_substring(names, "有限公司", "有限责任公司"),
    )
    city_stripped = pc.replace_substring_regex(names, "^(深圳市|银川市)", "")
    bracket = _join(city_stripped, pc.if_else(pa.array(rng.random(n) < 0.5), "(", "（"),
                    pc.utf8_slice_codeunits(district, 0, 2), pc.if_else(pa.array(rng.random(n) < 0.5), ")", "）"))
    spaced = pc.replace_substring_regex(names, "^(深圳市|银川市)", r"\1 ")
    out = pc.case_when(
        pc.make_struct(pa.array(kind == 0), pa.array(kind == 1), pa.array(kind == 2)),
        swapped, bracket, spaced, full,
    )
    return fullwidth_ascii(out, rng.random(n) < 0.3)


def fullwidth_ascii(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """Replace ASCII digits, letters and brackets by full-width forms where ``mask`` is true."""
    out = values
    for ch in "0123456789()":
        out = pc.replace_substring(out, ch, chr(ord(ch) + 0xFEE0))
    return pc.if_else(pa.array(mask), out, values)


def variant_phones(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """Phone variants: +86 prefix, dashes inside mobiles."""
    n = len(values)
    plus = _join("+86 ", values)
    dashed = pc.replace_substring_regex(values, r"^(1\d\d)(\d{4})(\d{4})$", r"\1-\2-\3")
    return pc.if_else(pa.array(rng.random(n) < 0.5), plus, dashed)


def variant_addresses(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """Address variants: no province, # for 号, full-width digits."""
    n = len(values)
    short = pc.replace_substring_regex(values, "^(广东省|宁夏回族自治区)", "")
    hashed = pc.replace_substring(values, "号", "#")
    mixed = pc.if_else(pa.array(rng.random(n) < 0.5), short, hashed)
    return fullwidth_ascii(mixed, rng.random(n) < 0.3)
