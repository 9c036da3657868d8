"""ONNX backend: fp32/int8 vectors against PyTorch, export cache reuse, identities, failed exports."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from jobcfg import compose_job
from topics.data.types import InputError
from topics.embedding import (
    CachedEmbedder,
    EmbeddingCache,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
    onnx_export,
)
from topics.embedding.onnx_export import TMP_PREFIX, export_dir, is_complete
from topics.embedding.onnx_runtime import MODEL_FILE, length_batches

pytest.importorskip("onnxruntime", reason="the onnx backend needs `pip install onnxruntime onnx`")

SRC = str(Path(__file__).resolve().parents[2] / "src")


def embedding_node(name: str, cache_dir: Path):
    """Compose ``embedding=<name>`` (with its defaults list) with ``paths.cache_dir=cache_dir``."""
    cfg, _ = compose_job(cache_dir, [f"embedding={name}", f"paths.cache_dir={cache_dir}"])
    return OmegaConf.create(OmegaConf.to_container(cfg.embedding, resolve=True))


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cos.mean())


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    from topics.data.seeds import read_manifest_corpus
    from topics.preprocess.pipeline import preprocess_documents

    units = preprocess_documents(list(read_manifest_corpus()), {"unit": "paragraph"}).units
    texts = list(units.norm)
    assert len(texts) > 50
    return texts


@pytest.fixture(scope="module")
def torch_vectors(paragraphs) -> np.ndarray:
    emb = SentenceTransformerEmbedder(
        "m3e-small", batch_size=8, max_seq_length=512, show_progress=False
    )  # small batches: less padding, so the reference is quicker to compute
    return emb.embed(paragraphs)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def fp32(cache_dir) -> CachedEmbedder:
    built = build_embedder(embedding_node("m3e_small_onnx", cache_dir))
    assert isinstance(built, CachedEmbedder) and isinstance(built.embedder, OnnxEmbedder)
    return built


@pytest.fixture(scope="module")
def int8(cache_dir) -> CachedEmbedder:
    return build_embedder(embedding_node("m3e_small_onnx_int8", cache_dir))


def test_configs_build_onnx_embedders(tmp_path):
    for name, quantize in (("m3e_small_onnx", "none"), ("m3e_small_onnx_int8", "int8")):
        built = build_embedder(embedding_node(name, tmp_path))
        inner = built.embedder
        assert isinstance(inner, OnnxEmbedder) and inner.quantize == quantize
        assert Path(inner.onnx_dir) == tmp_path / "onnx"
        assert built.cache.root == tmp_path / "embeddings"
        assert (inner.model, inner.max_seq_length, inner.intra_op_threads) == (
            "m3e-small",
            512,
            None,
        )
    assert not (tmp_path / "onnx").exists()  # nothing is exported before it is needed


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"backend": "onnx", "device": "cpu"}, "device"),
        ({"backend": "onnx", "quantize": "int4"}, "quantize"),
        ({"backend": "onnx", "intra_op_threads": 0}, "intra_op_threads"),
        ({"backend": "onnx", "batch_size": -1}, "batch_size"),
        ({"backend": "onnx", "max_batch_tokens": 0}, "max_batch_tokens"),
    ],
)
def test_bad_onnx_settings_raise_clear_errors(cfg, message, tmp_path):
    with pytest.raises(InputError, match=message):
        build_embedder({**cfg, "onnx_dir": str(tmp_path)}).identity()


def test_length_batches_group_similar_lengths_under_the_token_budget():
    lengths = [5, 400, 7, 30, 512, 6, 100, 8]
    batches = length_batches(lengths, batch_size=3, max_tokens=1024)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for rows in batches:
        assert 1 <= len(rows) <= 3
        assert len(rows) == 1 or len(rows) * max(lengths[i] for i in rows) <= 1024
    assert [len(b) for b in length_batches([2000], 32, 1024)] == [1]  # too long: alone


def test_identity_separates_pytorch_fp32_and_int8(tmp_path):
    kinds = {
        "pytorch": SentenceTransformerEmbedder("m3e-small", max_seq_length=512),
        "onnx": OnnxEmbedder("m3e-small", max_seq_length=512, onnx_dir=tmp_path),
        "int8": OnnxEmbedder("m3e-small", "int8", max_seq_length=512, onnx_dir=tmp_path),
    }
    ids = {kind: emb.identity() for kind, emb in kinds.items()}
    assert len(set(ids.values())) == 3
    assert ids["onnx"].startswith("onnx|quantize=none|") and "quantize=int8" in ids["int8"]
    digest = ids["pytorch"].split("sha256=")[1].split("|")[0]
    assert all(digest in ident for ident in ids.values())  # same source weights, kept apart
    cache = EmbeddingCache(tmp_path / "emb")
    assert len({cache.directory(ident) for ident in ids.values()}) == 3
    assert list(tmp_path.iterdir()) == []  # identity() needs no export


@pytest.mark.slow
def test_fp32_matches_pytorch_on_seed_paragraphs(fp32, paragraphs, torch_vectors):
    vecs = fp32.embed(paragraphs)
    assert vecs.shape == torch_vectors.shape == (len(paragraphs), 512)
    assert vecs.dtype == np.float32 and fp32.dim == 512
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert mean_cosine(vecs, torch_vectors) >= 0.999
    np.testing.assert_allclose(vecs, torch_vectors, atol=1e-3)
    single = fp32.embedder.embed([paragraphs[0]])  # no padding in the batch: same vector
    assert float(single[0] @ vecs[0]) >= 0.9999


@pytest.mark.slow
def test_int8_stays_close_to_pytorch_and_is_smaller(fp32, int8, paragraphs, torch_vectors):
    vecs = int8.embed(paragraphs)
    cosine = mean_cosine(vecs, torch_vectors)
    print(f"int8 mean cosine to PyTorch on {len(paragraphs)} seed paragraphs: {cosine:.5f}")
    assert cosine >= 0.98
    fp32_file = fp32.embedder.export_path() / MODEL_FILE
    int8_file = int8.embedder.export_path() / MODEL_FILE
    assert int8_file.stat().st_size < fp32_file.stat().st_size / 3


@pytest.mark.slow
def test_second_build_reuses_the_export(fp32, cache_dir, paragraphs):
    folder = fp32.embedder.export_path()
    assert folder.parent == cache_dir / "onnx" and is_complete(folder)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    exported = sorted(p.name for p in folder.parent.iterdir())
    exports = dict(onnx_export.EXPORTS)
    again = build_embedder(embedding_node("m3e_small_onnx", cache_dir))
    again.cache = EmbeddingCache(cache_dir / "fresh-embeddings")  # force real embedding
    out = again.embed(paragraphs[:4])
    assert out.shape == (4, 512) and again.cache.stats["misses"] == 4
    assert exports == onnx_export.EXPORTS
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert sorted(p.name for p in folder.parent.iterdir()) == exported


@pytest.mark.slow
def test_failure_during_export_leaves_no_model_dir(tmp_path, monkeypatch):
    """The torch export writes its file, then the process is interrupted: nothing is committed."""
    import torch

    real_export = torch.onnx.export

    def interrupted_export(*args, **kwargs):
        real_export(*args, **kwargs)
        raise KeyboardInterrupt("simulated interrupt after model.onnx was written")

    emb = OnnxEmbedder("m3e-small", onnx_dir=tmp_path)
    final = export_dir(tmp_path, emb._digest(), "none")
    monkeypatch.setattr(torch.onnx, "export", interrupted_export)
    with pytest.raises(KeyboardInterrupt):
        emb.export_path()
    monkeypatch.undo()
    assert not final.exists() and list(tmp_path.iterdir()) == []
    assert emb.export_path() == final and is_complete(final)
    assert emb.embed(["银行利用人工智能"]).shape == (1, 512)


@pytest.mark.slow
def test_quantizer_killed_mid_write_leaves_no_model_dir(fp32, tmp_path):
    """A process dies (os._exit) while writing the int8 model: a later export still succeeds."""
    base = fp32.embedder.export_path()
    shutil.copytree(base, tmp_path / base.name)  # the fp32 export it quantizes
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {SRC!r})
        import onnxruntime.quantization as q
        from topics.embedding import OnnxEmbedder

        def dying_quantize(model_input, model_output, **kwargs):
            with open(model_output, "wb") as fh:
                fh.write(b"half an onnx model")
            os._exit(9)

        q.quantize_dynamic = dying_quantize
        OnnxEmbedder("m3e-small", "int8", onnx_dir={str(tmp_path)!r}).export_path()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == 9, proc.stderr.decode()
    emb = OnnxEmbedder("m3e-small", "int8", onnx_dir=tmp_path)
    final = export_dir(tmp_path, emb._digest(), "int8")
    assert not final.exists()
    assert len(list(tmp_path.glob(TMP_PREFIX + "*"))) == 1  # the dead exporter's scratch folder
    assert emb.export_path() == final and is_complete(final)
    assert emb.embed(["银行利用人工智能"]).shape == (1, 512)


@pytest.mark.slow
def test_max_seq_length_beyond_the_model_is_refused(fp32):
    inner = fp32.embedder
    too_long = OnnxEmbedder("m3e-small", onnx_dir=inner.onnx_dir, max_seq_length=1024)
    with pytest.raises(InputError, match="512 positions"):
        too_long.embed(["文本"])
    assert inner.embed([]).shape == (0, 512)
