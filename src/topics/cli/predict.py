"""`topics-predict`: tag new texts with themes (and their nearest topic) using a logged model.

Texts come as arguments, one per line on standard input (or ``-``), or from ``--file`` (one text
per line). The model is the ``theme_model`` of a run: ``--model-uri runs:/<run id>/theme_model``
or a model folder; by default the latest run of ``--experiment`` in the local store that has one.

``--serve`` keeps the model loaded: it answers every line of standard input as it arrives (one
line of output per text, flushed), so a warm process tags a text in milliseconds; most of a cold
call is importing MLflow and loading the model. Only argparse and the standard library are
imported before the arguments are checked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from mlflow.entities import Run

#: a text tagged once after loading, so the tokenizer and embedder are ready for the first line
WARMUP_TEXT = "银行部署大模型"


def _texts(args: argparse.Namespace) -> list[str]:
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise SystemExit(f"topics-predict: --file {path} does not exist")
        from topics.data.encoding import read_text

        return [line.strip() for line in read_text(path)[0].splitlines() if line.strip()]
    if args.texts and args.texts != ["-"]:
        return list(args.texts)
    return [line.strip() for line in sys.stdin if line.strip()]


def latest_model_run(tracking_uri: str, experiment: str) -> Run:
    """The latest FINISHED run of ``experiment`` that logged a theme model.

    The model's URI is the run's ``themes/model_uri`` tag. Exits with a one-line message when no
    run has one.
    """
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    runs = (
        []
        if exp is None
        else client.search_runs(
            [exp.experiment_id],
            "attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=50,
        )
    )
    for run in runs:
        if run.data.tags.get("themes/model_uri"):
            return run
    raise SystemExit(
        f"topics-predict: no run of experiment {experiment!r} at {tracking_uri} has a "
        "theme model; run `topics-run` first or pass --model-uri"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="topics-predict",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("texts", nargs="*", help="texts to tag (default: read standard input)")
    parser.add_argument("--file", help="a text file, one text per line")
    parser.add_argument("--model-uri", help="runs:/<run id>/theme_model, models:/..., or a folder")
    parser.add_argument("--experiment", default="topics-seeds")
    parser.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{Path.cwd() / 'mlruns' / 'mlflow.db'}",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: 1 with --serve, where one text at a time gains "
        "nothing from more and idle threads spin on a busy machine; else torch's default)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the model loaded and answer each line of standard input as it arrives",
    )
    return parser


def load_model(model_uri: str | None, tracking_uri: str, experiment: str) -> Any:
    """The theme model (an MLflow pyfunc) at ``model_uri``, or the experiment's latest one."""
    import mlflow.pyfunc

    from topics.tracking.uri import scoped_tracking_uri

    uri = model_uri or latest_model_run(tracking_uri, experiment).data.tags["themes/model_uri"]
    with scoped_tracking_uri(tracking_uri):  # leaves no global state behind
        return mlflow.pyfunc.load_model(uri)


def predict_rows(model: Any, texts: list[str]) -> list[dict[str, Any]]:
    """Tag ``texts``: one dict per text (``text``, ``themes``, ``probabilities``, ``topic``...)."""
    import pandas as pd

    out = model.predict(pd.DataFrame({"text": texts}))
    prob_cols = [c for c in out.columns if c.startswith("p_")]
    rows = []
    for row in out.to_dict("records"):
        rows.append(
            {
                "text": row["text"],
                "themes": _theme_list(row["themes"]),
                "probabilities": {c[2:]: round(float(row[c]), 3) for c in prob_cols},
                "topic": int(row["topic"]),
                "topic_label": row["topic_label"],
                "topic_similarity": float(row.get("topic_similarity", float("nan"))),
            }
        )
    return rows


def _theme_list(value: object) -> list[str]:
    """The model's themes as a list (it answers a comma-separated string or a list)."""
    if isinstance(value, str):
        return [t for t in value.split(",") if t]
    if value is None or isinstance(value, float):  # none, or NaN for none
        return []
    return [str(t) for t in value]  # type: ignore[attr-defined]


def _render(row: dict[str, Any], as_json: bool) -> str:
    if as_json:
        row = {k: v for k, v in row.items() if k != "topic_similarity"}
        return json.dumps(row, ensure_ascii=False)
    probs = row["probabilities"]
    top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(probs.items(), key=lambda kv: -kv[1])[:3])
    return (
        f"{row['text'][:60]}\n  themes: {','.join(row['themes']) or '(none)'}   [{top}]\n"
        f"  topic {row['topic']}: {row['topic_label']} (cosine {row['topic_similarity']:.2f})"
    )


def set_threads(n: int | None) -> None:
    """Set torch's intra-op threads when the model uses torch (it is imported by then)."""
    if n is not None and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(max(1, n))


def serve(model: Any, lines: Iterable[str], out: TextIO, as_json: bool) -> int:
    """Answer each non-empty line of ``lines`` as it arrives; return the number answered."""
    n = 0
    for line in lines:
        text = line.strip()
        if not text:
            continue
        print(_render(predict_rows(model, [text])[0], as_json), file=out, flush=True)
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``topics-predict``."""
    args = _parser().parse_args(argv)
    if args.serve:
        start = time.perf_counter()
        model = load_model(args.model_uri, args.tracking_uri, args.experiment)
        predict_rows(model, [WARMUP_TEXT])  # loads what the model loads lazily (torch, ...)
        set_threads(1 if args.threads is None else args.threads)
        print(
            f"topics-predict: ready in {time.perf_counter() - start:.1f} s; one text per line",
            file=sys.stderr,
            flush=True,
        )
        serve(model, sys.stdin, sys.stdout, args.json)
        return 0
    texts = _texts(args)
    if not texts:
        print(
            "topics-predict: no texts given (arguments, --file or standard input)", file=sys.stderr
        )
        return 2
    model = load_model(args.model_uri, args.tracking_uri, args.experiment)
    set_threads(args.threads)
    for row in predict_rows(model, texts):
        print(_render(row, args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
