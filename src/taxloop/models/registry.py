"""The model registry on disk, under the warehouse: ``models/<version>/`` plus a ``promoted`` pointer.

Each version folder holds ``model.joblib`` (the scikit-learn pipeline), ``model.txt`` (the LightGBM
booster as text), ``card.json`` (features, training window, metrics, parameters) and ``card.md``
(the same, for people). A version is written to a temporary folder and renamed, so a half-written
model is never listed.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from taxloop.models.training import TrainConfig, TrainedModel

_VERSION = re.compile(r"^v(\d{4,})$")


class RegistryError(ValueError):
    """A version is unknown or the registry is empty (message in zh and en)."""


class ModelRegistry:
    """Versions of trained models in ``<warehouse>/models``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self) -> list[str]:
        """Saved versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if p.is_dir() and _VERSION.match(p.name)]
        return sorted(found, key=lambda v: int(v[1:]))

    def next_version(self) -> str:
        """The version the next saved model gets (``v0001``, ``v0002``, ...)."""
        existing = self.versions()
        return f"v{(int(existing[-1][1:]) + 1 if existing else 1):04d}"

    def save(self, model: TrainedModel, cfg: TrainConfig, extra: dict[str, Any] | None = None) -> str:
        """Store a trained model with its card; returns the new version."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = self.next_version()
        card = {
            "version": version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "algorithm": "scikit-learn Pipeline(ColumnTransformer, LightGBM LGBMClassifier)",
            "label": "finding in (adjusted, fraud) of audit_outcomes / task_outcomes",
            "features": model.features,
            "numeric_features": model.numeric,
            "categorical_features": model.categorical,
            "scale_pos_weight": model.pos_weight,
            "training_window": model.window,
            "metrics": model.metrics,
            "top_features_by_gain": model.importance,
            "params": asdict(cfg),
            **(extra or {}),
        }
        tmp = self.root / f".{version}.{uuid.uuid4().hex}"
        tmp.mkdir()
        joblib.dump(model, tmp / "model.joblib")
        (tmp / "model.txt").write_text(model.pipeline.named_steps["model"].booster_.model_to_string(), encoding="utf-8")
        (tmp / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        (tmp / "card.md").write_text(card_markdown(card), encoding="utf-8")
        tmp.rename(self.root / version)
        return version

    def card(self, version: str) -> dict[str, Any]:
        """The model card of one version."""
        path = self.root / version / "card.json"
        if not path.is_file():
            raise RegistryError(f"unknown model version {version!r} / 未知模型版本 {version!r} (in {self.root})")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def load(self, version: str | None = None) -> tuple[str, TrainedModel]:
        """A saved model (the promoted one when ``version`` is None)."""
        version = version or self.promoted()
        if version is None:
            raise RegistryError("no promoted model: run `taxloop models promote VERSION` / 尚无已发布模型")
        self.card(version)
        model: TrainedModel = joblib.load(self.root / version / "model.joblib")
        return version, model

    def promote(self, version: str) -> None:
        """Make ``version`` the one scoring uses (atomic pointer file)."""
        self.card(version)
        tmp = self.root / f".promoted.{uuid.uuid4().hex}"
        tmp.write_text(version + "\n", encoding="utf-8")
        tmp.replace(self.root / "promoted")

    def promoted(self) -> str | None:
        """The promoted version, or None."""
        path = self.root / "promoted"
        return path.read_text(encoding="utf-8").strip() or None if path.is_file() else None

    def remove(self, version: str) -> None:
        """Delete a version that is not promoted."""
        if version == self.promoted():
            raise RegistryError(f"{version} is promoted and cannot be removed / 已发布版本不能删除")
        self.card(version)
        shutil.rmtree(self.root / version)


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown (zh/en headings)."""
    win = card.get("training_window", {})
    metrics = card.get("metrics", {})
    lines = [
        f"# Model card / 模型卡 {card['version']}",
        "",
        f"- created / 创建时间: {card['created_at']}",
        f"- algorithm / 算法: {card['algorithm']}",
        f"- label / 标签: {card['label']}",
        f"- features / 特征数: {len(card['features'])}",
        f"- training window / 训练窗口: {win.get('first_closed_on')} .. {win.get('last_closed_on')}"
        f" (test from / 测试集起 {win.get('test_cutoff')}; train {win.get('train_rows')}, test {win.get('test_rows')},"
        f" positives / 正样本 {win.get('positives')})",
        "",
        "## Time-split test / 时间切分测试",
        "",
        "| ranking | precision@k | recall@k | AUC-PR | recovered/task |",
        "|---|---|---|---|---|",
    ]
    for name in ("model", "expert", "combination", "combination_value"):
        m = metrics.get(name)
        if m:
            lines.append(
                f"| {name} | {m['precision_at_k']:.3f} | {m['recall_at_k']:.3f} | {m['auc_pr']:.3f} |"
                f" {m['recovered_per_task']:,.0f} |"
            )
    if "value_weight" in metrics:
        lines += ["", f"Value ranking P x amount^w: w = {metrics['value_weight']} (chosen on this time-split fold)"]
    if "random_sample" in metrics:
        r = metrics["random_sample"]
        lines += [
            "",
            f"Unbiased random-sample test / 随机抽样无偏测试: {r['rows']} cases, AUC-PR model"
            f" {r['auc_pr_model']:.3f} vs expert {r['auc_pr_expert']:.3f} (base rate {r['base_rate']:.3f})",
        ]
    lines += ["", "## Top features by gain / 重要特征", ""]
    lines += [f"- {name}: {gain:,.1f}" for name, gain in card.get("top_features_by_gain", [])[:15]]
    return "\n".join(lines) + "\n"
