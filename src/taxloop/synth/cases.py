"""Cases of the bureau's business systems expanded into operation-log rows (submit -> accept -> approve -> close)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from taxloop.synth.calendar import next_workday

MATTERS = ("RISK_RESPONSE", "VAT_REFUND", "TAX_REDUCTION", "PENALTY", "DEFERRAL", "DEREGISTRATION",
           "INVOICE_QUOTA", "ABNORMAL_LIFT", "REGISTRATION_CHANGE", "TAXPAYER_QUERY")
RISK, REFUND, REDUCTION, PENALTY, DEFERRAL, DEREG, QUOTA, LIFT, REGCHANGE, QUERY = range(10)
MATTER_SHARE = np.array([0.15, 0.12, 0.10, 0.08, 0.05, 0.10, 0.15, 0.05, 0.20])
SYSTEMS = ("collection", "management", "service", "inspection", "administration")
MATTER_SYSTEM = np.array([1, 0, 0, 3, 0, 2, 2, 1, 2, 4])
ACTIONS = ("submit", "accept", "approve", "reject", "modify", "void", "close", "reopen", "query", "export")
SUBMIT, ACCEPT, APPROVE, REJECT, MODIFY, VOID, CLOSE, REOPEN, QUERY_A, EXPORT = range(10)
NOTES = ("no issue / 无问题", "adjusted / 已调整补税", "approved / 同意", "rejected / 不予批准",
         "materials corrected / 补正材料", "reopened for correction / 重新打开更正")
NO_ISSUE, ADJUSTED, APPROVED, REJECTED, CORRECTED, REOPENED = range(6)


def required_level(matter: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Authority level an approval needs (refunds above 500,000 need level 4, ...)."""
    a = np.nan_to_num(amount)
    lvl = np.full(len(matter), 2)
    lvl = np.where(matter == REFUND, np.where(a > 500_000, 4, np.where(a > 100_000, 3, 2)), lvl)
    lvl = np.where(np.isin(matter, (REDUCTION, DEFERRAL)), np.where(a > 200_000, 4, 2), lvl)
    lvl = np.where(matter == PENALTY, np.where(a > 50_000, 3, 2), lvl)
    lvl = np.where(np.isin(matter, (QUOTA, REGCHANGE)), 1, lvl)
    lvl = np.where(matter == LIFT, 3, lvl)
    return np.asarray(lvl)


def draw_amounts(rng: np.random.Generator, matter: np.ndarray) -> np.ndarray:
    """Money decided by each case (log-uniform by matter; NaN for matters without an amount)."""
    lo = np.array([0, 1e3, 1e3, 5e2, 1e4, 0, 0, 0, 0, 0])[matter]
    hi = np.array([0, 3e6, 1e6, 5e5, 2e6, 0, 0, 0, 0, 0])[matter]
    val = np.exp(rng.uniform(np.log(np.maximum(lo, 1)), np.log(np.maximum(hi, 2))))
    return np.where(hi > 0, np.round(val, 2), np.nan)


def work_ts(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Seconds since 1970 on the next working day, within 08:30-12:00 or 14:00-18:00."""
    day = next_workday(np.asarray(day, dtype=np.int64))
    morning = rng.random(len(day)) < 0.45
    sec = np.where(morning, rng.integers(30600, 43200, len(day)), rng.integers(50400, 64800, len(day)))
    return np.asarray(day * 86400 + sec)


def off_hours_ts(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Seconds at 22:00-05:59 (night after ``day``) or on the next Saturday daytime."""
    day = np.asarray(day, dtype=np.int64)
    night = day * 86400 + rng.integers(22 * 3600, 30 * 3600, len(day))
    sat = (day + (5 - (day + 3) % 7) % 7) * 86400 + rng.integers(9 * 3600, 17 * 3600, len(day))
    return np.asarray(np.where(rng.random(len(day)) < 0.7, night, sat))


@dataclass
class CaseBatch:
    """Cases to expand (one entry per case). ``planted`` is the violation index or -1."""

    matter: np.ndarray
    ent: np.ndarray
    submitter: np.ndarray
    acceptor: np.ndarray
    approver: np.ndarray
    day0: np.ndarray
    amount: np.ndarray
    planted: np.ndarray
    reject: np.ndarray
    offhours_approve: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    fast_close: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    edit_after: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    reopen: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    req: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def filled(self) -> CaseBatch:
        """Default the optional flags to False and the level to the matter rule."""
        k = len(self.matter)
        for name in ("offhours_approve", "fast_close", "edit_after", "reopen"):
            if len(getattr(self, name)) != k:
                setattr(self, name, np.zeros(k, bool))
        if len(self.req) != k:
            self.req = required_level(self.matter, self.amount)
        return self


def expand(rng: np.random.Generator, b: CaseBatch, case_base: int) -> dict[str, np.ndarray]:
    """Operations of every case (columns as arrays; ``viol`` = planted violation index or -1)."""
    b = b.filled()
    k = len(b.matter)
    case = case_base + np.arange(k)
    risk = b.matter == RISK
    t_sub = work_ts(rng, b.day0)
    t_acc = np.maximum(work_ts(rng, b.day0 + rng.integers(0, 3, k)), t_sub + 600)
    t_app = np.maximum(work_ts(rng, b.day0 + rng.integers(1, 6, k) + 2), t_acc + 600)
    t_app = np.where(b.offhours_approve, np.maximum(off_hours_ts(rng, t_acc // 86400), t_acc + 600), t_app)
    close_day = np.where(risk, t_acc // 86400 + rng.integers(5, 31, k), t_app // 86400 + rng.integers(0, 2, k))
    close_day = np.where(b.offhours_approve, t_app // 86400 + 1, close_day)  # the submitter closes next workday
    t_close = np.maximum(work_ts(rng, close_day), np.where(risk, t_acc, t_app) + 900)
    t_close = np.where(b.fast_close, t_acc + rng.integers(3600, 20 * 3600, k), t_close)
    closer = np.where(risk | b.fast_close, b.acceptor, b.submitter)
    note_close = np.where(risk, np.where((rng.random(k) < 0.6) | b.fast_close, NO_ISSUE, ADJUSTED), -1)
    parts = [
        _ops(t_sub, b.submitter, b, case, SUBMIT, -1, np.full(k, -1)),
        _ops(t_acc, b.acceptor, b, case, ACCEPT, -1, np.full(k, -1)),
    ]
    app = ~risk
    act = np.where(b.reject, REJECT, APPROVE)
    note_app = np.where(b.reject, REJECTED, APPROVED)
    viol_app = np.where(np.isin(b.planted, (0, 1, 2, 3, 6, 7)), b.planted, -1)
    parts.append(_ops(t_app, b.approver, b, case, act, note_app, viol_app, app))
    parts.append(_ops(t_close, closer, b, case, CLOSE, note_close, np.where(b.planted == 4, 4, -1)))
    t_reopen = t_close + rng.integers(1, 6, k) * 86400
    parts.append(_ops(t_reopen, b.approver, b, case, REOPEN, REOPENED, np.full(k, -1), b.reopen))
    parts.append(_ops(t_reopen + 3600, b.submitter, b, case, MODIFY, CORRECTED, np.full(k, -1), b.reopen))
    parts.append(_ops(t_reopen + 7200, b.submitter, b, case, CLOSE, -1, np.full(k, -1), b.reopen))
    t_edit = t_close + rng.integers(1, 11, k) * 86400 + rng.integers(-3600, 3600, k)
    parts.append(_ops(t_edit, b.submitter, b, case, MODIFY, CORRECTED, np.where(b.edit_after, 5, -1), b.edit_after))
    return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}


def _ops(ts: np.ndarray, officer: np.ndarray, b: CaseBatch, case: np.ndarray, action: int | np.ndarray,
         note: int | np.ndarray, viol: np.ndarray, mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
    k = len(ts)
    sel = np.ones(k, bool) if mask is None else mask
    decides = np.isin(np.broadcast_to(action, k), (APPROVE, REJECT))
    return {
        "ts": ts[sel], "officer": officer[sel], "matter": b.matter[sel], "case": case[sel], "ent": b.ent[sel],
        "action": np.broadcast_to(action, k)[sel],
        "amount": np.where(decides | (np.broadcast_to(action, k) == SUBMIT), b.amount, np.nan)[sel],
        "req": np.where(decides, b.req, 0)[sel], "note": np.broadcast_to(note, k)[sel], "viol": viol[sel],
    }
