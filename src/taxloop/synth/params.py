"""Parameters of a synthetic city and the fixed reference tables it draws from (regions, industries)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

OutputFormat = Literal["csv", "parquet"]


@dataclass(frozen=True)
class SynthParams:
    """What to generate: size, time span, seed, output format."""

    taxpayers: int = 2000
    months: int = 24
    seed: int = 7
    start: str = "2023-01"
    fmt: OutputFormat = "csv"
    invoices_per_firm_month: float = 2.5
    scheme_rate: float = 1.0

    def __post_init__(self) -> None:
        if self.taxpayers < 200:
            raise ValueError(f"--taxpayers must be at least 200 (got {self.taxpayers}) / 纳税人数量至少为200")
        if not 12 <= self.months <= 120:
            raise ValueError(f"--months must be between 12 and 120 (got {self.months}) / 月数须在12到120之间")
        year, _, month = self.start.partition("-")
        if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
            raise ValueError(f"--start must be YYYY-MM (got {self.start!r}) / 起始期间格式须为YYYY-MM")

    @property
    def start_year(self) -> int:
        """Year of the first period."""
        return int(self.start[:4])

    @property
    def start_month(self) -> int:
        """Month (1-12) of the first period."""
        return int(self.start[5:7])

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent, reproducible generator for one component (and optionally one chunk)."""
        return np.random.default_rng([self.seed, *stream])


#: (region code, district name, city prefix, province prefix, area code, land price per m2)
REGIONS: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("440303", "罗湖区", "深圳市", "广东省", "0755", 52000.0),
    ("440304", "福田区", "深圳市", "广东省", "0755", 78000.0),
    ("440305", "南山区", "深圳市", "广东省", "0755", 95000.0),
    ("440306", "宝安区", "深圳市", "广东省", "0755", 55000.0),
    ("440307", "龙岗区", "深圳市", "广东省", "0755", 38000.0),
    ("440308", "盐田区", "深圳市", "广东省", "0755", 45000.0),
    ("440309", "龙华区", "深圳市", "广东省", "0755", 50000.0),
    ("440310", "坪山区", "深圳市", "广东省", "0755", 30000.0),
    ("440311", "光明区", "深圳市", "广东省", "0755", 36000.0),
    ("640104", "兴庆区", "银川市", "宁夏回族自治区", "0951", 9500.0),
    ("640105", "西夏区", "银川市", "宁夏回族自治区", "0951", 7800.0),
    ("640106", "金凤区", "银川市", "宁夏回族自治区", "0951", 11000.0),
)
REGION_WEIGHTS = np.array([8, 10, 12, 14, 13, 2, 10, 4, 5, 8, 6, 8], dtype=np.float64)


@dataclass(frozen=True)
class Industry:
    """One industry: code, label, VAT rate, goods codes, economics."""

    code: str
    label: str
    word: str
    rate: float
    goods: tuple[str, ...]
    share: float
    b2b: float
    cost_ratio: float
    wage: float
    rev_per_employee: float
    kwh_per_yuan: float
    season: tuple[float, ...]
    tech: bool = False
    export: float = 0.0


_FLAT = (1.0,) * 12
_RETAIL = (1.25, 0.85, 0.95, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.1, 1.2, 1.3)
_BUILD = (0.7, 0.5, 0.9, 1.05, 1.1, 1.1, 1.05, 1.05, 1.1, 1.15, 1.15, 1.25)
_FACTORY = (0.95, 0.6, 1.0, 1.05, 1.05, 1.05, 1.05, 1.1, 1.1, 1.05, 1.05, 1.05)

INDUSTRIES: tuple[Industry, ...] = (
    Industry("C3911", "计算机制造", "电子科技", 0.13, ("1090511030000000000", "1090512010000000000"),
             0.06, 0.95, 0.72, 11000, 900_000, 0.020, _FACTORY, True, 0.35),
    Industry("C3399", "金属制品制造", "金属制品", 0.13, ("1080401010000000000", "1080402990000000000"),
             0.06, 0.95, 0.78, 8500, 700_000, 0.060, _FACTORY, False, 0.2),
    Industry("C2929", "塑料制品制造", "塑胶制品", 0.13, ("1070213990000000000",),
             0.05, 0.95, 0.76, 8000, 600_000, 0.050, _FACTORY, False, 0.2),
    Industry("F5179", "批发业", "贸易", 0.13, ("1090511030000000000", "1080401010000000000", "1070213990000000000"),
             0.16, 0.85, 0.88, 9000, 2_500_000, 0.003, _FLAT, False, 0.1),
    Industry("F5211", "零售业", "商贸", 0.13, ("1030107990000000000", "1040201990000000000"),
             0.14, 0.15, 0.80, 6500, 900_000, 0.008, _RETAIL),
    Industry("H6210", "餐饮业", "餐饮管理", 0.06, ("3070401000000000000",),
             0.09, 0.10, 0.45, 6000, 300_000, 0.015, _RETAIL),
    Industry("E4899", "建筑业", "建筑工程", 0.09, ("3050200000000000000", "3050100000000000000"),
             0.08, 0.98, 0.82, 9000, 800_000, 0.004, _BUILD),
    Industry("G5430", "道路运输业", "物流", 0.09, ("3010102020000000000",),
             0.06, 0.90, 0.70, 8000, 500_000, 0.006, _FLAT, False, 0.05),
    Industry("I6510", "软件和信息技术服务业", "软件科技", 0.06, ("3040201000000000000", "3040203000000000000"),
             0.08, 0.90, 0.35, 16000, 600_000, 0.004, _FLAT, True),
    Industry("K7010", "房地产开发", "房地产开发", 0.09, ("5010000000000000000",),
             0.03, 0.40, 0.65, 12000, 3_000_000, 0.002, _BUILD),
    Industry("L7212", "商务服务业", "企业管理咨询", 0.06, ("3040802000000000000",),
             0.09, 0.85, 0.40, 11000, 500_000, 0.003, _FLAT),
    Industry("M7320", "科技推广和研发服务", "技术研发", 0.06, ("3040101000000000000",),
             0.05, 0.90, 0.40, 15000, 550_000, 0.005, _FLAT, True),
    Industry("O8010", "居民服务业", "家政服务", 0.06, ("3070201000000000000",),
             0.05, 0.20, 0.40, 5500, 250_000, 0.006, _RETAIL),
)
INDUSTRY_SHARES = np.array([i.share for i in INDUSTRIES], dtype=np.float64)
INDUSTRY_SHARES /= INDUSTRY_SHARES.sum()
TECH = np.array([i.tech for i in INDUSTRIES])
#: Goods codes used for fake invoices by sources (metals, electronics, plastics).
FAKE_GOODS = ("1080401010000000000", "1090511030000000000", "1070213990000000000")
#: Land-use tax rate (yuan per m2 per year) by land grade 1..6.
LAND_RATES = np.array([0.0, 30.0, 24.0, 18.0, 12.0, 6.0, 3.0])


def supply_matrix() -> np.ndarray:
    """P(buyer industry | seller industry): row-stochastic matrix of the supply chain."""
    n = len(INDUSTRIES)
    codes = [i.code for i in INDUSTRIES]
    m = np.full((n, n), 0.3)
    links = {
        "C3911": ("F5179", "C3911", "I6510"), "C3399": ("C3911", "E4899", "F5179", "C2929"),
        "C2929": ("C3911", "F5179", "F5211"), "F5179": ("F5211", "C3911", "E4899", "H6210"),
        "F5211": ("H6210", "O8010", "L7212"), "H6210": ("L7212", "I6510"),
        "E4899": ("K7010", "F5179"), "G5430": ("F5179", "C3911", "F5211", "C3399"),
        "I6510": ("L7212", "F5179", "M7320", "K7010"), "K7010": ("L7212", "I6510"),
        "L7212": ("K7010", "I6510", "C3911", "F5179"), "M7320": ("C3911", "I6510", "C3399"),
        "O8010": ("L7212", "K7010"),
    }
    for i, code in enumerate(codes):
        for target in links[code]:
            m[i, codes.index(target)] += 3.0
    m *= INDUSTRY_SHARES[None, :]
    return np.asarray(m / m.sum(axis=1, keepdims=True))
