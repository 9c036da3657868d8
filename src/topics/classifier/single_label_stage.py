"""The theme stage on a labeled single-label corpus (``theme_stage.mode=single_label``).

Trains the configured classifier on the corpus' train split (a validation split carved from it
for every choice) and scores the held-out eval split; writes ``themes/`` and its metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

if TYPE_CHECKING:
    from topics.classifier.methods.base import ThemeClassifier
    from topics.classifier.multiclass.base import SingleLabelClassifier
    from topics.context import Context

    Model = ThemeClassifier | SingleLabelClassifier | None


def run_single_label_stage(ctx: Context, n_train: int | None, n_dev: int | None) -> None:
    """Train on the train split and score the eval split of a labeled corpus."""
    from topics.classifier.protocols.single_label import results_table, run_single_label

    cfg = ctx.cfg
    (result,) = run_single_label(
        [OmegaConf.to_container(cfg.classifier, resolve=True)],
        cfg.data,
        tokenizer=ctx.tokenizer(),
        embedder=ctx.embedder,
        n_train=n_train,
        n_dev=n_dev,
        seed=cfg.seed,
        root=cfg,
    )
    out = ctx.out / "themes"
    out.mkdir(parents=True, exist_ok=True)
    table = results_table([result])
    table.to_csv(out / "single_label.csv")
    result.per_class.to_csv(out / "per_class.csv")
    predictions = pd.DataFrame({"label": result.labels, "predicted": result.predictions})
    for member, predicted in result.member_predictions.items():
        predictions[f"predicted/{member}"] = predicted
        ctx.log_metrics(
            {
                f"member/{member}/accuracy": float(
                    np.mean(np.asarray(predicted) == np.asarray(result.labels))
                )
            }
        )
    predictions.to_csv(out / "dev_predictions.csv", index=False)
    _save_encoders(result.model, out / "model")
    ctx.log_metrics(_fit_details(result.model))
    row = table.iloc[0]
    ctx.log_metrics({k: float(v) for k, v in row.items() if "/" in str(k)})
    ctx.log_metrics(
        {
            "time/classifier_train_s": result.train_seconds,
            "time/classifier_predict_s": result.predict_seconds,
        }
    )
    chosen = {f"chosen/{k}": v for k, v in result.chosen.items() if isinstance(v, int | float)}
    ctx.log_metrics(chosen)
    trained_on = getattr(result.model, "trained_on_", None)
    if trained_on:
        ctx.rec.set_tags({"themes/trained_on": trained_on})
    ctx.rec.log_dir(out, "themes")


def _members(model: Model) -> list[tuple[str, Any]]:
    """A blend's ``(name, member)`` pairs, else the model itself as its own only member."""
    members = getattr(model, "members_", None)
    return list(members) if members is not None else [(str(getattr(model, "method", "")), model)]


def _fit_details(model: Model) -> dict[str, float]:
    """Train seconds per member; a blend's members on validation; fine-tuning details."""
    out: dict[str, float] = {}
    for name, scores in (getattr(model, "member_val_scores_", None) or {}).items():
        out.update({f"member/{name}/val_{k}": float(v) for k, v in scores.items()})
    for name, member in _members(model):
        if hasattr(member, "fit_seconds_"):
            out[f"time/member/{name}_train_s"] = float(member.fit_seconds_)
        encoder = getattr(member, "encoder_", None)
        if encoder is not None:
            history = encoder.history_
            out[f"finetune/{name}/epochs_run"] = float(len(history))
            out[f"finetune/{name}/resumed_from_epoch"] = float(encoder.resumed_from_)
            if history:
                out[f"finetune/{name}/examples_per_s"] = float(
                    np.mean([r["examples_per_s"] for r in history])
                )
    return out


def _save_encoders(model: Model, folder: Path) -> None:
    """Save fine-tuned encoders (a ``finetune`` model, or a blend's members) as safetensors."""
    for name, member in _members(model):
        if hasattr(member, "save") and hasattr(member, "encoder_"):
            member.save(folder / name)
