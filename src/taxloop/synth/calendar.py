"""Month arithmetic for the synthetic window: periods, first days, day counts (all vectorised, days since 1970)."""

from __future__ import annotations

import numpy as np

from taxloop.synth.params import SynthParams


class Calendar:
    """The window of M months starting at ``params.start``."""

    def __init__(self, params: SynthParams) -> None:
        first = np.datetime64(f"{params.start}-01", "M")
        months = first + np.arange(params.months + 13)
        self.months = params.months
        self.first_day = months.astype("datetime64[D]").astype(np.int64)
        self.calendar_month = (months.astype(np.int64) % 12).astype(np.int64)  # 0 = January
        self.year = (months.astype(np.int64) // 12 + 1970).astype(np.int64)
        self.periods = [str(m) for m in months]

    def period(self, m: int) -> str:
        """``YYYY-MM`` of month index ``m``."""
        return self.periods[m]

    def days_in(self, m: int) -> int:
        """Number of days of month index ``m``."""
        return int(self.first_day[m + 1] - self.first_day[m])

    def month_of_day(self, days: np.ndarray) -> np.ndarray:
        """Month index (may be negative or >= M) of each day number."""
        return np.searchsorted(self.first_day, days, side="right").astype(np.int64) - 1

    def full_years(self) -> list[tuple[int, int]]:
        """(year, first month index) of every calendar year fully inside the window."""
        out = []
        for m in range(self.months - 11):
            if self.calendar_month[m] == 0:
                out.append((int(self.year[m]), m))
        return out


def weekday(days: np.ndarray) -> np.ndarray:
    """Day of week of day numbers, 0 = Monday (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def next_workday(days: np.ndarray) -> np.ndarray:
    """Shift Saturdays and Sundays to the following Monday."""
    wd = weekday(days)
    return np.asarray(days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0)))
