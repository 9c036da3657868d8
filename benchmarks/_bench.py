"""Shared helpers of the ``topics-run`` benchmarks (``pipeline_scale.py``, ``sweep_cost.py``).

Each measured run is one ``topics-run`` subprocess with its own ``paths.root_dir`` (so its
SQLite MLflow store holds only that run) and a chosen ``TOPICS_CACHE_DIR``. Peak memory is
measured two ways:

- ``peak_rss_mib``: the largest sum of the RSS of the ``topics-run`` process and all its
  descendants, sampled with psutil every ``interval`` seconds (pages shared between forked
  processes count once per process, so this can overstate; short spikes between samples are
  missed).
- ``max_rss_single_mib``: ``ru_maxrss`` from ``wait4`` of the child: the exact peak of the
  largest single process of the tree (the child or a descendant it waited for).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOPICS_SHARED_DATA", REPO.parent / "shared" / "data"))
THUCNEWS_FILES = ("thucnews_train.txt", "thucnews_dev.txt")
#: column order of the ``time/<name>_s`` metrics; ``tokenize`` and ``figures`` run inside
#: other stages. Timings not listed here are shown after these.
STAGES = (
    "data",
    "preprocess",
    "embedding",
    "tokenize",
    "topic_model",
    "figures",
    "stability",
    "themes",
    "total",
)
MIB = 1024 * 1024


@dataclass
class Measured:
    """One ``topics-run`` subprocess: its wall time, memory and exit status."""

    command: list[str]
    wall_s: float
    peak_rss_mib: float
    max_rss_single_mib: float
    returncode: int
    log: str
    mlflow: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def add_common_args(parser: Any, default_out: str) -> None:
    """Add ``--override``, ``--out`` and ``--keep``, shared by the pipeline benchmarks."""
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Hydra override for every run (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / default_out)
    parser.add_argument("--keep", action="store_true", help="keep the temp folders (logs, runs)")


def topics_run_command() -> list[str]:
    """Return the command that starts ``topics-run`` from this interpreter's environment."""
    script = Path(sys.executable).parent / "topics-run"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "topics.cli.run"]


def thucnews_or_skip() -> list[Path]:
    """Return the THUCNews train and dev files, or print why not and exit 0 ('skipped')."""
    paths = [SHARED / name for name in THUCNEWS_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(
            f"[skip] THUCNews not found ({', '.join(missing)}); set TOPICS_SHARED_DATA to the "
            "folder holding thucnews_train.txt and thucnews_dev.txt. skipped"
        )
        sys.exit(0)
    return paths


def thucnews_lines(paths: Sequence[Path]) -> list[str]:
    """Return the non-empty ``text<TAB>label`` lines of ``paths``, concatenated in order."""
    lines: list[str] = []
    for path in paths:
        lines.extend(ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip())
    return lines


def write_subset(lines: Sequence[str], n: int | None, folder: Path) -> Path:
    """Write the first ``n`` lines (all when ``None``) to ``folder/thucnews_<n>.tsv``."""
    chosen = lines if n is None else lines[:n]
    path = folder / f"thucnews_{len(chosen)}.tsv"
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return path


def child_env(cache_dir: Path) -> dict[str, str]:
    """Return the environment of a measured run: offline, its own cache, the default store.

    ``TOPICS_SHARED_DATA`` is set to :data:`SHARED`, since the default (``<root>/../shared``)
    moves with ``paths.root_dir``.
    """
    env = dict(os.environ)
    for name in ("MLFLOW_TRACKING_URI", "TOPICS_ROOT"):  # would move the store / outputs
        env.pop(name, None)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOPICS_CACHE_DIR=str(cache_dir),
        TOPICS_SHARED_DATA=str(SHARED.resolve()),
    )
    return env


def _tree_rss(proc: psutil.Process) -> int:
    """Return the summed RSS in bytes of ``proc`` and its live descendants."""
    total = 0
    with contextlib.suppress(psutil.Error):
        for member in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
    return total


def run_measured(
    overrides: Sequence[str],
    root: Path,
    cache_dir: Path,
    multirun: bool = False,
    interval: float = 0.2,
) -> Measured:
    """Run ``topics-run [-m] paths.root_dir=<root> *overrides``; measure time and memory.

    Output goes to ``<root>/topics-run.log``. Ctrl-C stops the child's whole process group.
    """
    root.mkdir(parents=True, exist_ok=True)
    cmd = [*topics_run_command(), *(["-m"] if multirun else []), f"paths.root_dir={root}"]
    cmd += list(overrides)
    log_path = root / "topics-run.log"
    peak = [0]
    done = threading.Event()
    with log_path.open("w", encoding="utf-8") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=child_env(cache_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        watched = psutil.Process(proc.pid)

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(watched))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise
        finally:
            done.set()
            sampler.join()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        command=cmd,
        wall_s=wall,
        peak_rss_mib=peak[0] / MIB,
        max_rss_single_mib=usage.ru_maxrss / 1024,  # Linux: KiB
        returncode=proc.returncode,
        log=str(log_path),
    )


def read_mlflow_runs(root: Path) -> list[dict[str, Any]]:
    """Return every run of the SQLite store under ``root``: ids, status, tags and metrics."""
    db = root / "mlruns" / "mlflow.db"
    if not db.is_file():
        return []
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{db}")
    ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(ids, max_results=10_000, order_by=["attributes.start_time ASC"])
    return [
        {
            "run_id": r.info.run_id,
            "status": r.info.status,
            "parent_run_id": r.data.tags.get("mlflow.parentRunId"),
            "is_sweep": r.data.tags.get("sweep") == "true",
            "job_dir": r.data.tags.get("job_dir"),
            "metrics": dict(r.data.metrics),
        }
        for r in runs
    ]


def job_summary(metrics: dict[str, float]) -> dict[str, Any]:
    """Pick the stage seconds (``stages``: every ``time/<stage>_s``), units, topics and NMI."""
    stages = {
        key[len("time/") : -len("_s")]: value
        for key, value in metrics.items()
        if key.startswith("time/") and key.endswith("_s")
    }
    return {
        "stages": stages,
        "n_units": metrics.get("data/n_units"),
        "n_topics": metrics.get("topics/n_topics"),
        "nmi": metrics.get("topics/nmi"),
        "cache_hit_ratio": metrics.get("embedding/cache_hit_ratio"),
    }


def stage_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Return the stages timed in any of ``rows``: :data:`STAGES` order, then the others."""
    found = {key for row in rows for key in row.get("stages", ())}
    return [s for s in STAGES if s in found] + sorted(found - set(STAGES))


def log_tail(path: str | Path, n: int = 15) -> str:
    """Return the last ``n`` lines of a log file."""
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-n:])


def fmt(value: Any, spec: str = "{:.1f}") -> str:
    """Format a number for a table cell; ``n/a`` for missing values."""
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    return spec.format(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Return a Markdown table; the first ``left`` columns left-aligned, the rest right."""
    rule = "|" + "---|" * left + "---:|" * (len(header) - left)
    lines = ["| " + " | ".join(header) + " |", rule]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """Return the CPU model, core count, Python version and current load average."""
    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented UTF-8 JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nresults written to {path}")
