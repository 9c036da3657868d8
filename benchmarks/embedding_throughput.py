"""Benchmark m3e-small on CPU: PyTorch vs ONNX fp32 vs ONNX int8.

For each backend, in a fresh subprocess (so peak memory is its own): throughput on THUCNews
headlines and on the seed paragraphs (longer units), peak RSS, mean cosine to the PyTorch
vectors, and THUCNews dev accuracy of a logistic regression trained on the embeddings of a
stratified train subset. Prints a Markdown table.

    .venv/bin/python benchmarks/embedding_throughput.py [--threads 2] [--data PATH] [--profile]

Writes ``benchmarks/results/embedding_throughput.json`` (``--out``); ``benchmarks/tables.py``
renders it into ``benchmarks/README.md``.

THUCNews parts are skipped with a message when ``../shared/data`` (or ``$TOPICS_SHARED_DATA``)
is absent. ONNX exports are made (untimed) before the measurements, in ``--onnx-dir``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _bench as bench
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOPICS_SHARED_DATA", REPO.parent / "shared" / "data"))
BACKENDS = {
    "pytorch": {"backend": "sentence_transformers", "show_progress": False},
    "onnx-fp32": {"backend": "onnx", "quantize": "none"},
    "onnx-int8": {"backend": "onnx", "quantize": "int8"},
}
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=SHARED / "thucnews_dev.txt",
        help="headlines to time (`text<TAB>label` or one text a line) and, "
        "when labelled, the dev set of the accuracy check",
    )
    parser.add_argument(
        "--train",
        type=Path,
        default=SHARED / "thucnews_train.txt",
        help="labelled `text<TAB>label` file to train the classifier on",
    )
    parser.add_argument("--n", type=int, default=2000, help="headlines to time / evaluate on")
    parser.add_argument("--train-n", type=int, default=5000, help="train headlines")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch / onnxruntime intra-op threads",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-seq-length", type=int, default=512)
    parser.add_argument(
        "--max-batch-tokens",
        type=int,
        default=1024,
        help="ONNX backends: most tokens per forward pass (a huge value gives plain batching)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per set; the fastest is reported"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="fresh processes per backend, run in turn (spreads bursts of load from other "
        "jobs over all backends); the best of all rounds is reported",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma-separated subset of {list(BACKENDS)}"
    )
    parser.add_argument(
        "--onnx-dir",
        type=Path,
        default=Path(os.environ.get("TOPICS_CACHE_DIR", REPO / ".cache")) / "onnx",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile summary of each backend's headline run",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "embedding_throughput.json"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def read_lines(path: Path) -> tuple[list[str], np.ndarray | None]:
    """Read ``text<TAB>label`` lines (labels ``None`` unless every line has an int label)."""
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        text, _, label = line.partition("\t")
        texts.append(text)
        labels.append(int(label) if label.strip().lstrip("-").isdigit() else None)
    if any(lab is None for lab in labels):
        return texts, None
    return texts, np.asarray(labels)


def subset(texts: list[str], labels: np.ndarray | None, n: int, seed: int):
    """Return a stratified (when labelled) random subset of ``n`` texts and their labels."""
    if n >= len(texts):
        return texts, labels
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(texts))
    chosen, _ = train_test_split(idx, train_size=n, random_state=seed, stratify=labels)
    chosen = np.sort(chosen)
    return [texts[i] for i in chosen], None if labels is None else labels[chosen]


def seed_paragraphs() -> list[str]:
    """Return the seed corpus paragraphs, normalized, as the pipeline makes them."""
    from topics.data.seeds import read_manifest_corpus
    from topics.preprocess.pipeline import preprocess_documents

    units = preprocess_documents(list(read_manifest_corpus()), {"unit": "paragraph"}).units
    return list(units.norm)


def make_embedder(name: str, args: argparse.Namespace):
    """Build the embedder of backend ``name`` (no embedding cache)."""
    from topics.embedding import build_embedder

    cfg = {
        **BACKENDS[name],
        "model": "m3e-small",
        "batch_size": args.batch_size,
        "max_seq_length": args.max_seq_length,
        "normalize": True,
    }
    if cfg["backend"] == "onnx":
        cfg.update(
            onnx_dir=str(args.onnx_dir),
            intra_op_threads=args.threads,
            max_batch_tokens=args.max_batch_tokens,
        )
    return build_embedder(cfg)


def timed(embedder, texts: list[str], profile: bool) -> tuple[np.ndarray, float, float]:
    """Embed ``texts``; return the vectors, the wall seconds and the CPU seconds it took."""
    profiler = cProfile.Profile() if profile else None
    cpu = time.process_time()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    vectors = embedder.embed(texts)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if profiler:
        print(f"--- cProfile, {len(texts)} units ---", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(10)
    return vectors, seconds, cpu


def worker(args: argparse.Namespace) -> None:
    """Measure one backend in this (fresh) process; write vectors and numbers to ``workdir``."""
    datasets = json.loads((args.workdir / "texts.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    if BACKENDS[args.worker]["backend"] == "sentence_transformers":
        import torch  # only here: the ONNX backends must run (and be measured) without it

        torch.set_num_threads(args.threads)
    embedder = make_embedder(args.worker, args)
    embedder.embed(datasets["paragraphs"][:8])  # load + warm up
    result: dict[str, float] = {"load_s": time.perf_counter() - start}
    for key, texts in datasets.items():
        if not texts:
            continue
        runs = 1 if key == "train" else max(1, args.repeat)  # train: vectors only, untimed
        for run in range(runs):
            profile = args.profile and key == "headlines" and run == 0
            vectors, seconds, cpu = timed(embedder, texts, profile)
            for name, spent in ((f"{key}_per_s", seconds), (f"{key}_per_cpu_s", cpu)):
                result[name] = max(result.get(name, 0.0), len(texts) / spent)
        np.save(args.workdir / f"{args.worker}-{key}.npy", vectors)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["torch_imported"] = float("torch" in sys.modules)
    (args.workdir / f"{args.worker}.json").write_text(json.dumps(result), encoding="utf-8")


def run_worker(name: str, argv: list[str], workdir: Path) -> dict[str, float]:
    """Run ``--worker name`` in a fresh interpreter and return its numbers."""
    cmd = [sys.executable, __file__, *argv, "--worker", name, "--workdir", str(workdir)]
    subprocess.run(cmd, check=True)
    return json.loads((workdir / f"{name}.json").read_text(encoding="utf-8"))


def best_of(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    """Merge two measurements of one backend: highest throughput, shortest load time."""
    merged = dict(new)
    for key, value in old.items():
        if key.endswith(("_per_s", "_per_cpu_s")):
            merged[key] = max(value, new.get(key, 0.0))
        elif key == "load_s":
            merged[key] = min(value, new.get(key, value))
    return merged


def accuracy(
    train: np.ndarray, y_train: np.ndarray, dev: np.ndarray, y_dev: np.ndarray, seed: int
) -> float:
    """Return the dev accuracy of a logistic regression fitted on the train embeddings."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=2000, random_state=seed).fit(train, y_train)
    return float((clf.predict(dev) == y_dev).mean())


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Mean row-wise cosine of two equally shaped arrays."""
    num = (a * b).sum(axis=1)
    return float((num / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).mean())


def load_data(args: argparse.Namespace) -> tuple[dict[str, list[str]], dict[str, np.ndarray]]:
    """Return the text sets to embed and the labels of the accuracy check (if any)."""
    texts: dict[str, list[str]] = {"headlines": [], "train": [], "paragraphs": seed_paragraphs()}
    labels: dict[str, np.ndarray] = {}
    if not args.data.is_file():
        print(
            f"[skip] {args.data} not found: no headline throughput and no accuracy check "
            f"(set --data, or TOPICS_SHARED_DATA to the THUCNews folder)",
            file=sys.stderr,
        )
        return texts, labels
    dev, y_dev = subset(*read_lines(args.data), args.n, args.seed)
    texts["headlines"] = dev
    if y_dev is None or not args.train.is_file():
        print(
            f"[skip] accuracy check: needs labelled --data and --train ({args.train})",
            file=sys.stderr,
        )
        return texts, labels
    train, y_train = subset(*read_lines(args.train), args.train_n, args.seed)
    texts["train"] = train
    labels.update(dev=y_dev, train=y_train)
    return texts, labels


def table(rows: dict[str, dict[str, float]]) -> str:
    """Format the results as a Markdown table."""
    cols = [
        ("headlines_per_s", "headlines units/s", "{:.1f}"),
        ("headlines_x", "× PyTorch", "{:.2f}"),
        ("headlines_per_cpu_s", "headlines units/CPU-s", "{:.1f}"),
        ("paragraphs_per_s", "seed paragraphs units/s", "{:.1f}"),
        ("paragraphs_x", "× PyTorch", "{:.2f}"),
        ("paragraphs_per_cpu_s", "seed paragraphs units/CPU-s", "{:.1f}"),
        ("peak_rss_mib", "peak RSS MiB", "{:.0f}"),
        ("load_s", "load s", "{:.1f}"),
        ("cos_headlines", "cos headlines", "{:.4f}"),
        ("cos_paragraphs", "cos paragraphs", "{:.4f}"),
        ("accuracy", "dev accuracy", "{:.2%}"),
        ("accuracy_delta", "Δ acc (points)", "{:+.2f}"),
    ]
    lines = ["| backend | " + " | ".join(c[1] for c in cols) + " |", "|---|" + "---:|" * len(cols)]
    for name, row in rows.items():
        cells = [fmt.format(row[key]) if key in row else "n/a" for key, _, fmt in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare(
    rows: dict[str, dict[str, float]], workdir: Path, labels: dict[str, np.ndarray], seed: int
) -> None:
    """Add speed-ups, cosines to PyTorch and classifier accuracies to ``rows``."""
    ref = rows.get("pytorch", {})
    for name, row in rows.items():
        for key in ("headlines", "paragraphs"):
            vec_file, ref_file = workdir / f"{name}-{key}.npy", workdir / f"pytorch-{key}.npy"
            if f"{key}_per_s" in ref and f"{key}_per_s" in row:
                row[f"{key}_x"] = row[f"{key}_per_s"] / ref[f"{key}_per_s"]
            if vec_file.is_file() and ref_file.is_file():
                row[f"cos_{key}"] = mean_cosine(np.load(vec_file), np.load(ref_file))
        if labels:
            train, dev = (np.load(workdir / f"{name}-{k}.npy") for k in ("train", "headlines"))
            row["accuracy"] = accuracy(train, labels["train"], dev, labels["dev"], seed)
    if labels and "accuracy" in ref:
        for row in rows.values():
            row["accuracy_delta"] = 100 * (row["accuracy"] - ref["accuracy"])


def cpu_name() -> str:
    """Return the CPU model name (Linux), else the machine type."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def describe(args: argparse.Namespace, texts: dict[str, list[str]], load_before) -> str:
    """Return one line naming the machine, the settings and the load around the run."""
    after = os.getloadavg()
    return (
        f"m3e-small on {cpu_name()}, {os.cpu_count()} cores; threads={args.threads}, "
        f"batch_size={args.batch_size}, max_seq_length={args.max_seq_length}, "
        f"max_batch_tokens (ONNX)={args.max_batch_tokens}, best of {args.repeat} runs x "
        f"{args.rounds} round(s); "
        f"units: {len(texts['headlines'])} headlines, {len(texts['paragraphs'])} seed "
        f"paragraphs, {len(texts['train'])} train headlines; load average (1/5/15 min) "
        f"before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
        f"after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f}"
    )


def main(argv: list[str] | None = None) -> None:
    """Run every backend in its own process and print the comparison table."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(names) - set(BACKENDS))
    if unknown:
        sys.exit(f"unknown backend(s) {unknown}; choose from {list(BACKENDS)}")
    texts, labels = load_data(args)
    load_before = os.getloadavg()
    before = bench.machine()
    with tempfile.TemporaryDirectory(prefix="embedding-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
        for name in names:  # export once, untimed, so the measured processes only load
            if BACKENDS[name]["backend"] == "onnx":
                make_embedder(name, args).export_path()
        rows: dict[str, dict[str, float]] = {}
        for _ in range(max(1, args.rounds)):
            for name in names:
                rows[name] = best_of(rows.get(name, {}), run_worker(name, argv, workdir))
        compare(rows, workdir, labels, args.seed)
    settings = describe(args, texts, load_before)
    print("\n" + settings + "\n")
    print(table(rows))
    payload = {
        "benchmark": "embedding_throughput",
        "machine_before": before,
        "machine_after": bench.machine(),
        "settings": settings,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "rows": rows,
    }
    bench.write_json(args.out, payload)


if __name__ == "__main__":
    main()
