"""How fast `topics-predict` tags a text: cold (a new process per call) and warm (`--serve`).

Needs a logged theme model: ``--tracking-uri`` and ``--experiment`` (its latest run with one) or
``--model-uri``. Measures, each in fresh subprocesses:

- ``cold_s``: wall time of ``topics-predict --json <text>`` (imports, model load, one answer);
- ``import_s``: wall time of ``python -c "import topics.cli.predict"`` (what runs before the
  arguments are checked) and ``import_mlflow_pyfunc_s`` (what loading a model must import);
- ``ready_s``: ``--serve`` start until it reports ready (model loaded, one warm-up text);
- ``warm_ms``: per text in a ``--serve`` process, from writing a line to reading its answer,
  and ``warm_cpu_ms``: the CPU time the serving process spent on it (less sensitive than wall
  time to other jobs on a shared machine).

Writes ``benchmarks/results/predict_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
TEXTS = [
    "银行加快招聘大模型算法人才，并为员工开设提示词工程培训。",
    "金融機構自建算力集群，採購GPU訓練大模型。",
    "Regulators ask banks to explain their models and protect customer data.",
    "数据治理与数据中台建设是大模型落地的基础。",
]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def _warm(
    base: list[str], env: dict[str, str], rounds: int
) -> tuple[float, list[float], list[float]]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*base, "--serve", "--json"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    while "ready" not in (line := proc.stderr.readline()):
        if not line and proc.poll() is not None:
            raise SystemExit("topics-predict --serve exited before it was ready")
    ready = time.perf_counter() - start
    server = psutil.Process(proc.pid)
    times, cpu = [], []
    for i in range(rounds):
        before = server.cpu_times()
        t = time.perf_counter()
        proc.stdin.write(TEXTS[i % len(TEXTS)] + "\n")
        proc.stdin.flush()
        json.loads(proc.stdout.readline())
        times.append((time.perf_counter() - t) * 1000)
        after = server.cpu_times()
        cpu.append((after.user + after.system - before.user - before.system) * 1000)
    proc.stdin.close()
    proc.wait(timeout=60)
    return ready, times, cpu


def main() -> None:
    """Run the measurements and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--experiment", default="topics-seeds")
    parser.add_argument("--model-uri")
    parser.add_argument("--repeat", type=int, default=3, help="cold calls and import timings")
    parser.add_argument("--rounds", type=int, default=40, help="texts sent to the warm process")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "predict_latency.json"
    )
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    py = sys.executable
    base = [py, "-m", "topics.cli.predict", "--tracking-uri", args.tracking_uri]
    base += ["--model-uri", args.model_uri] if args.model_uri else ["--experiment", args.experiment]
    model = {"uri": args.model_uri, "classifier": None, "run_id": None}
    if not args.model_uri:  # the run topics-predict will load: record what is measured
        from topics.cli.predict import latest_model_run

        run = latest_model_run(args.tracking_uri, args.experiment)
        model = {
            "uri": run.data.tags["themes/model_uri"],
            "classifier": run.data.params.get("classifier.name"),
            "run_id": run.info.run_id,
        }
    load_before = os.getloadavg()
    imports = [_timed([py, "-c", "import topics.cli.predict"], env) for _ in range(args.repeat)]
    pyfunc = [_timed([py, "-c", "import mlflow.pyfunc"], env) for _ in range(args.repeat)]
    cold = [_timed([*base, "--json", TEXTS[0]], env) for _ in range(args.repeat)]
    ready, warm, warm_cpu = _warm(base, env, args.rounds)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "model": model,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "import_s": {"min": min(imports), "median": statistics.median(imports)},
        "import_mlflow_pyfunc_s": {"min": min(pyfunc), "median": statistics.median(pyfunc)},
        "cold_s": {"min": min(cold), "median": statistics.median(cold)},
        "ready_s": ready,
        "warm_ms": {
            "median": statistics.median(warm),
            "p95": sorted(warm)[int(0.95 * (len(warm) - 1))],
            "max": max(warm),
            "n": len(warm),
        },
        "warm_cpu_ms": {"median": statistics.median(warm_cpu), "max": max(warm_cpu)},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
