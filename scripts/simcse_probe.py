"""Probe: does unsupervised SimCSE on the corpus make m3e-small cluster THUCNews better?

Outside the package, on the validation sample only (the first 10,000 lines of
``thucnews_train.txt``, as ``experiment=thucnews_topics_validation``). Embeds the sample with
m3e-small before and after one epoch of unsupervised SimCSE (the same batch encoded twice with
dropout, in-batch negatives, temperature 0.05; AdamW, batch 64, max length 64; fp32 or bf16 as
the fine-tuning trainer picks), then scores simple clusterings of each against the labels:
UMAP to 10-D (cosine, 15 neighbours) + KMeans with 10 clusters, and + HDBSCAN
(``min_cluster_size`` 100), for UMAP seeds 1 and 2. Result: experiments/thucnews_topics/
validation.md, "Sweep 8", the SimCSE probe.

    python scripts/simcse_probe.py --lr 3e-5 --epochs 1
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def load_sample(path: Path, n: int) -> tuple[list[str], list[str]]:
    """The first ``n`` ``text<TAB>label`` lines of ``path``."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[:n]]
    return [r[0] for r in rows], [r[1] for r in rows]


def score(vectors: np.ndarray, labels: list[str], tag: str) -> None:
    """Print NMI of UMAP + KMeans(10) and UMAP + HDBSCAN(100) for two UMAP seeds."""
    import hdbscan
    import umap
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    y = np.asarray(labels)
    for seed in (1, 2):
        reduced = umap.UMAP(
            n_components=10, n_neighbors=15, min_dist=0.0, metric="cosine", random_state=seed
        ).fit_transform(vectors)
        kmeans = KMeans(10, n_init=10, random_state=seed).fit_predict(reduced)
        dense = hdbscan.HDBSCAN(min_cluster_size=100, min_samples=3).fit_predict(reduced)
        kept = dense >= 0
        print(
            f"{tag} seed {seed}: KMeans-10 NMI {nmi(y, kmeans):.3f} | HDBSCAN {dense.max() + 1} "
            f"topics, outliers {1 - kept.mean():.2f}, NMI {nmi(y, dense):.3f}, on clustered "
            f"{nmi(y[kept], dense[kept]):.3f}",
            flush=True,
        )


def simcse(model: SentenceTransformer, texts: list[str], lr: float, epochs: int, seed: int) -> None:
    """One unsupervised SimCSE run on ``model`` (a SentenceTransformer), in place."""
    import torch

    from topics.classifier.finetune.device import autocast, resolve_precision

    torch.manual_seed(seed)
    precision = resolve_precision("auto", "cpu")
    encoder, tokenizer = model[0].auto_model, model.tokenizer
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=lr, weight_decay=0.0)
    rng, size, start = np.random.default_rng(seed), 64, time.perf_counter()
    encoder.train()
    for _ in range(epochs):
        order = rng.permutation(len(texts))
        for first in range(0, len(order) - size + 1, size):
            batch = [texts[j] for j in order[first : first + size]]
            enc = tokenizer(
                batch, padding=True, truncation=True, max_length=64, return_tensors="pt"
            )
            ids = torch.cat([enc["input_ids"]] * 2)
            mask = torch.cat([enc["attention_mask"]] * 2)
            with autocast("cpu", precision):
                states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).float()
            pooled = (states.float() * weights).sum(1) / weights.sum(1)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            logits = pooled[:size] @ pooled[size:].T / 0.05
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(size))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    encoder.eval()
    print(
        f"SimCSE: {epochs} epoch(s), {precision}, {time.perf_counter() - start:.0f} s, "
        f"last loss {loss.item():.4f}",
        flush=True,
    )


def main() -> None:
    """Embed, score, adapt, embed, score."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/thucnews_train.txt"))
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found: pass --data (THUCNews train, text<TAB>label)")
    from sentence_transformers import SentenceTransformer

    from topics.embedding.resolve import resolve_model

    texts, labels = load_sample(args.data, args.n)
    model = SentenceTransformer(str(resolve_model("m3e-small")), device="cpu")
    score(model.encode(texts, batch_size=128, normalize_embeddings=True), labels, "m3e-small")
    simcse(model, texts, args.lr, args.epochs, args.seed)
    score(model.encode(texts, batch_size=128, normalize_embeddings=True), labels, "after SimCSE")


if __name__ == "__main__":
    main()
