"""How well does a mean of embeddings stand in for the embedding of a concatenated text?

    python scripts/mixing_fidelity.py        # writes experiments/theme_classifiers/mixing_fidelity.json

`topics.classifier.methods.mixing` makes synthetic multi-theme paragraphs as the length-weighted
mean of their parts' vectors instead of embedding the concatenated text. This script measures
that substitution on the authored set only (never the gold): it draws 300 mixtures of 2-4
authored examples of one language, embeds each concatenation with m3e-small (the texts
normalized as every model input), and compares it with the mean of its parts' embeddings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "experiments/theme_classifiers/mixing_fidelity.json"


def unit(x: np.ndarray) -> np.ndarray:
    """Return the rows of ``x`` scaled to unit length."""
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def main(n: int = 300, seed: int = 0) -> dict:
    """Draw ``n`` mixtures, embed their concatenations, write and return the summary."""
    from topics.classifier.methods.mixing import is_latin
    from topics.classifier.protocols.report import authored_set, protocol_embedder
    from topics.themes import load_taxonomy, theme_ids

    texts = authored_set(theme_ids(load_taxonomy()), 5, 42).texts
    embedder = protocol_embedder(42, ROOT / ".cache" / "embeddings")
    E = np.asarray(embedder.embed(list(texts)), dtype=float)
    rng = np.random.default_rng(seed)
    latin = np.array([is_latin(t) for t in texts])
    pools = [np.flatnonzero(latin == flag) for flag in (False, True)]
    sizes = np.array([len(p) for p in pools], dtype=float)
    mixtures = []
    for which in rng.choice(2, size=n, p=sizes / sizes.sum()):
        k = int(rng.integers(2, 5))
        mixtures.append(rng.choice(pools[which], size=k, replace=False))
    joined = [(" " if latin[m[0]] else "").join(texts[i] for i in m) for m in mixtures]
    C = unit(np.asarray(embedder.embed(joined), dtype=float))
    lengths = np.array([len(t) for t in texts], dtype=float)
    cos = {"length_weighted_mean": [], "mean": [], "closest_part": []}
    for m, c in zip(mixtures, C, strict=True):
        P = E[m]
        cos["length_weighted_mean"].append(float(unit((P * lengths[m, None]).sum(0)) @ c))
        cos["mean"].append(float(unit(P.mean(0)) @ c))
        cos["closest_part"].append(float(max(unit(P) @ c)))
    a, b = rng.choice(len(E), size=(2, n))
    cos["random_pair"] = [float(x) for x in np.sum(unit(E[a]) * unit(E[b]), axis=1)]
    summary = {
        name: {
            "mean": round(float(np.mean(v)), 4),
            "p05": round(float(np.percentile(v, 5)), 4),
            "p50": round(float(np.percentile(v, 50)), 4),
        }
        for name, v in cos.items()
    }
    record = {"n_mixtures": n, "parts": "2-4, one language", "seed": seed, "cosine": summary}
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
