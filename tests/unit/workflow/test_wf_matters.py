"""The matter catalogue: packaged files are valid and complete; bad files are refused with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from taxloop.workflow.errors import MatterError
from taxloop.workflow.matters import LIBRARY, Catalogue, lint, load_matter

REQUIRED = (
    "RISK_RESPONSE",
    "INTEGRITY_CASE",
    "TASK_REVIEW",
    "VAT_REFUND",
    "TAX_REDUCTION",
    "PENALTY",
    "DEFERRAL",
    "DEREGISTRATION",
    "INVOICE_QUOTA",
    "ABNORMAL_LIFT",
)


def test_packaged_catalogue_is_clean_and_complete() -> None:
    good, errors = lint(LIBRARY)
    assert errors == []
    assert set(REQUIRED) <= set(good)
    for code in ("VAT_REFUND", "PENALTY", "RISK_RESPONSE"):
        m = good[code]
        assert m.power_matter and any(s.power for s in m.steps)
    assert not good["TASK_REVIEW"].power_matter


def _write(tmp_path: Path, data: dict[str, object], name: str | None = None) -> Path:
    path = tmp_path / f"{name or data['code']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _base() -> dict[str, object]:
    return yaml.safe_load((LIBRARY / "VAT_REFUND.yaml").read_text(encoding="utf-8"))


def test_bad_field_is_named(tmp_path: Path) -> None:
    data = _base()
    data["authority_level"] = 9
    with pytest.raises(MatterError, match="authority_level"):
        load_matter(_write(tmp_path, data))


def test_power_matter_needs_reason_and_power_step(tmp_path: Path) -> None:
    data = _base()
    data["power_reason"] = ""
    with pytest.raises(MatterError, match="power_reason"):
        load_matter(_write(tmp_path, data))
    data = _base()
    for s in data["steps"]:  # type: ignore[attr-defined]
        s["power"] = False
    with pytest.raises(MatterError, match="power: true"):
        load_matter(_write(tmp_path, data))


def test_unknown_role_and_file_name(tmp_path: Path) -> None:
    data = _base()
    data["steps"][0]["roles"] = ["janitor"]  # type: ignore[index]
    with pytest.raises(MatterError, match="roles"):
        load_matter(_write(tmp_path, data))
    with pytest.raises(MatterError, match="file name"):
        load_matter(_write(tmp_path, _base(), name="OTHER"))


def test_catalogue_refuses_folder_with_bad_file(tmp_path: Path) -> None:
    _write(tmp_path, _base())
    (tmp_path / "BROKEN.yaml").write_text("code: [unclosed", encoding="utf-8")
    good, errors = lint(tmp_path)
    assert list(good) == ["VAT_REFUND"] and len(errors) == 1 and "BROKEN.yaml" in errors[0]
    with pytest.raises(MatterError):
        Catalogue.load(tmp_path)
