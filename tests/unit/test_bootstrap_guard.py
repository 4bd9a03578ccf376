"""The composition root wires real-time internal control into responses unless it is switched off."""

from pathlib import Path

from taxloop import bootstrap
from taxloop.config import Settings
from taxloop.integrity.guard import IntegrityGuard
from taxloop.workflow.guard import AllowAllGuard


def test_guard_on_by_default_and_switchable(tmp_path: Path) -> None:
    on = Settings(warehouse=tmp_path / "wh")
    backend = bootstrap.analytics(on)
    guard = bootstrap.step_guard(on, backend)
    assert isinstance(guard, IntegrityGuard) and "SELF_APPROVAL" in {s.code for s in guard.specs}
    off = Settings(warehouse=tmp_path / "wh", internal_control=False)
    assert isinstance(bootstrap.step_guard(off, backend), AllowAllGuard)
