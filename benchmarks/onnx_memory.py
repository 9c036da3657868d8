"""Peak memory of the ONNX runtime alone, and with torch or sentence-transformers imported.

Backs the note at the top of ``topics.embedding.onnx_runtime``: what keeping torch out of the
process saves. Each variant is a fresh interpreter that (optionally) imports ``torch`` or
``sentence_transformers``, loads the m3e-small ONNX export in ONNX Runtime and embeds the same
texts; its ``ru_maxrss`` is the peak. Writes ``benchmarks/results/onnx_memory.json``.

    .venv/bin/python benchmarks/onnx_memory.py [--quantize none] [--n 500] [--repeat 2]

Texts: the first ``--n`` THUCNews dev headlines, or the seed paragraphs when THUCNews is absent.
The export is built (untimed) in ``--onnx-dir`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import _bench as bench

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

#: variant -> module imported before the ONNX model is loaded (None: nothing).
VARIANTS = {"onnxruntime only": None, "+ torch": "torch", "+ sentence_transformers": "st"}

_CHILD = """
import json, resource, sys
from pathlib import Path
if sys.argv[1] == "torch":
    import torch
elif sys.argv[1] == "st":
    import sentence_transformers
from topics.embedding.onnx_runtime import OnnxRuntimeModel
texts = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
model = OnnxRuntimeModel(Path(sys.argv[2]), threads=1)
model.encode(texts, batch_size=32, max_length=512, normalize=True)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"peak_rss_mib": rss, "torch_imported": "torch" in sys.modules}))
"""


def texts(n: int) -> tuple[list[str], str]:
    """Return the texts to embed and their description."""
    dev = bench.SHARED / "thucnews_dev.txt"
    if dev.is_file():
        lines = [ln for ln in dev.read_text(encoding="utf-8").splitlines() if ln.strip()]
        return [ln.split("\t")[0] for ln in lines[:n]], f"first {n} THUCNews dev headlines"
    from topics.data.seeds import read_manifest_corpus
    from topics.preprocess.pipeline import preprocess_documents

    units = preprocess_documents(list(read_manifest_corpus()), {"unit": "paragraph"}).units
    return list(units.norm), "seed paragraphs (THUCNews not found)"


def main(argv: list[str] | None = None) -> None:
    """Measure each variant ``--repeat`` times in fresh processes and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quantize", default="none", choices=("none", "int8"))
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--onnx-dir", type=Path, default=bench.REPO / ".cache" / "onnx")
    parser.add_argument(
        "--out", type=Path, default=bench.REPO / "benchmarks/results/onnx_memory.json"
    )
    args = parser.parse_args(argv)

    from topics.embedding import OnnxEmbedder

    folder = OnnxEmbedder("m3e-small", args.quantize, onnx_dir=args.onnx_dir).export_path()
    items, described = texts(args.n)
    paths = [str(bench.REPO / "src"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="onnx-memory-") as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        for name, pre in VARIANTS.items():
            runs = []
            for _ in range(args.repeat):
                cmd = [sys.executable, "-c", _CHILD, str(pre), str(folder), str(path)]
                out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            rss = sorted(r["peak_rss_mib"] for r in runs)
            rows.append(
                {
                    "variant": name,
                    "peak_rss_mib": rss[len(rss) // 2],  # the median (the upper one of two)
                    "runs_mib": rss,
                    "torch_imported": runs[0]["torch_imported"],
                }
            )
            print(f"{name}: peak RSS {rss} MiB")
    payload = {
        "benchmark": "onnx_memory",
        "model": "m3e-small",
        "quantize": args.quantize,
        "texts": described,
        "n_texts": len(items),
        "threads": 1,
        "machine": bench.machine(),
        "rows": rows,
    }
    bench.write_json(args.out, payload)


if __name__ == "__main__":
    main()
