"""Disk cache: hits and misses, identities, atomic writes, stray temp files, corrupt shards."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from topics.embedding import CachedEmbedder, EmbeddingCache, TfidfSvdEmbedder
from topics.embedding.cache import KEYS_SUFFIX, TMP_PREFIX, VECS_SUFFIX
from topics.hashing import text_key

SRC = str(Path(__file__).resolve().parents[2] / "src")


class CountingEmbedder:
    """A real TF-IDF/SVD embedder that records which texts it was asked to embed."""

    def __init__(self, inner: TfidfSvdEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[list[str]] = []

    def identity(self) -> str:
        return self.inner.identity()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts):
        self.calls.append(list(texts))
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def fitted(seed_units, tokenizer) -> TfidfSvdEmbedder:
    return TfidfSvdEmbedder(tokenizer, n_components=32, seed=0).fit(seed_units)


@pytest.fixture()
def counting(fitted) -> CountingEmbedder:
    return CountingEmbedder(fitted)


def shard_files(cache: EmbeddingCache, identity: str, suffix: str) -> list[Path]:
    return sorted(cache.directory(identity).glob("*" + suffix))


def test_second_call_is_all_hits_with_identical_vectors(tmp_path, counting, seed_units):
    texts = seed_units[:40]
    first = CachedEmbedder(counting, EmbeddingCache(tmp_path))
    v1 = first.embed(texts)
    assert first.cache.stats == {"hits": 0, "misses": 40, "hit_ratio": 0.0, "written": 40}
    np.testing.assert_allclose(v1, counting.inner.embed(texts), rtol=0, atol=1e-6)

    counting.calls.clear()
    again = CachedEmbedder(counting, EmbeddingCache(tmp_path))  # a fresh process would do this
    v2 = again.embed(texts)
    assert counting.calls == []
    assert again.cache.stats["hits"] == 40 and again.cache.stats["hit_ratio"] == 1.0
    assert v2.dtype == np.float32 and np.array_equal(v1, v2)


def test_only_changed_and_new_texts_are_embedded_once(tmp_path, counting, seed_units):
    cached = CachedEmbedder(counting, EmbeddingCache(tmp_path))
    cached.embed(seed_units[:10])
    counting.calls.clear()
    changed = seed_units[:10]
    changed[3] = changed[3] + "(更新)"
    batch = changed + [seed_units[20], seed_units[20], changed[3]]
    out = cached.embed(batch)
    assert counting.calls == [[changed[3], seed_units[20]]]
    assert out.shape == (13, counting.dim)
    assert np.array_equal(out[10], out[11]) and np.array_equal(out[3], out[12])
    assert cached.cache.stats["misses"] == 10 + 2


def test_different_identity_does_not_reuse_entries(tmp_path, seed_units, tokenizer, fitted):
    cache = EmbeddingCache(tmp_path)
    CachedEmbedder(fitted, cache).embed(seed_units[:5])
    other = TfidfSvdEmbedder(tokenizer, n_components=32, seed=0).fit(seed_units[5:])
    assert other.identity() != fitted.identity()
    counting = CountingEmbedder(other)
    CachedEmbedder(counting, cache).embed(seed_units[:5])
    assert counting.calls == [seed_units[:5]]
    assert cache.directory(other.identity()) != cache.directory(fitted.identity())
    assert cache.get("some other identity", [text_key(t) for t in seed_units[:5]]) == {}


def test_vectors_are_memory_mapped_and_shards_named_by_content(tmp_path, fitted, seed_units):
    cache = EmbeddingCache(tmp_path)
    CachedEmbedder(fitted, cache).embed(seed_units[:8])
    ident = fitted.identity()
    (keys_file,) = shard_files(cache, ident, KEYS_SUFFIX)
    (vecs_file,) = shard_files(cache, ident, VECS_SUFFIX)
    assert keys_file.name[: -len(KEYS_SUFFIX)] == vecs_file.name[: -len(VECS_SUFFIX)]
    assert (cache.directory(ident) / "identity.txt").read_text(encoding="utf-8") == ident
    reopened = EmbeddingCache(tmp_path)
    reopened.get(ident, [text_key(seed_units[0])])
    assert all(isinstance(s, np.memmap) for s in reopened._indexes[ident].shards)


def test_stray_temp_files_are_ignored(tmp_path, fitted, seed_units):
    cache = EmbeddingCache(tmp_path)
    expected = CachedEmbedder(fitted, cache).embed(seed_units[:6])
    folder = cache.directory(fitted.identity())
    (folder / f"{TMP_PREFIX}abc123.part").write_bytes(b"\x93NUMPY half-written")
    (folder / f"{TMP_PREFIX}def456{KEYS_SUFFIX}").write_bytes(b"garbage")
    again = CachedEmbedder(fitted, EmbeddingCache(tmp_path))
    assert np.array_equal(again.embed(seed_units[:6]), expected)
    assert again.cache.stats["hits"] == 6 and again.cache.corrupt == []


def test_process_killed_mid_write_leaves_no_entry(tmp_path, fitted, seed_units):
    """A writer dies (os._exit) while writing the vectors file: nothing is committed."""
    ident = fitted.identity()
    cache = EmbeddingCache(tmp_path)
    CachedEmbedder(fitted, cache).embed(seed_units[:3])
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {SRC!r})
        import numpy as np
        from topics.embedding import EmbeddingCache
        from topics.hashing import text_key

        def dying_save(fh, arr, **kwargs):
            fh.write(b"\\x93NUMPY partial")
            fh.flush()
            os._exit(9)

        np.save = dying_save
        keys = [text_key(t) for t in ["x", "y"]]
        EmbeddingCache({str(tmp_path)!r}).put({ident!r}, keys, np.ones((2, 32), np.float32))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()
    folder = cache.directory(ident)
    assert len(list(folder.glob(TMP_PREFIX + "*"))) == 1  # the dead writer's temp file
    fresh = EmbeddingCache(tmp_path)
    assert fresh.get(ident, [text_key("x"), text_key("y")]) == {}
    assert len(fresh.get(ident, [text_key(t) for t in seed_units[:3]])) == 3
    assert fresh.corrupt == []


def test_error_during_write_cleans_up_and_run_goes_on(
    tmp_path, fitted, seed_units, monkeypatch, caplog
):
    def failing_save(fh, arr, **kwargs):
        fh.write(b"\x93NUMPY")
        raise OSError(28, "No space left on device")

    cache = EmbeddingCache(tmp_path)
    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(OSError, match="No space left"):
        cache.put("ident", [text_key("a")], np.ones((1, 4), np.float32))
    with caplog.at_level(logging.WARNING, logger="topics.embedding.cache"):
        out = CachedEmbedder(fitted, cache).embed(seed_units[:4])
    monkeypatch.undo()
    assert out.shape == (4, fitted.dim) and "could not write" in caplog.text
    assert list(tmp_path.rglob(TMP_PREFIX + "*")) == []
    assert list(tmp_path.rglob("*" + KEYS_SUFFIX)) == []
    assert EmbeddingCache(tmp_path).get(fitted.identity(), [text_key(seed_units[0])]) == {}


@pytest.mark.parametrize("suffix", [VECS_SUFFIX, KEYS_SUFFIX])
def test_truncated_shard_is_reported_skipped_and_recomputed(
    tmp_path, fitted, seed_units, caplog, suffix
):
    texts = seed_units[:12]
    expected = CachedEmbedder(fitted, EmbeddingCache(tmp_path)).embed(texts)
    ident = fitted.identity()
    (victim,) = shard_files(EmbeddingCache(tmp_path), ident, suffix)
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    counting = CountingEmbedder(fitted)
    cache = EmbeddingCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="topics.embedding.cache"):
        out = CachedEmbedder(counting, cache).embed(texts)
    (keys_file,) = cache.corrupt
    assert keys_file.name.endswith(KEYS_SUFFIX) and str(keys_file) in caplog.text
    assert counting.calls == [texts]
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert victim.with_name(victim.name + ".corrupt").exists()
    assert EmbeddingCache(tmp_path).get(ident, [text_key(t) for t in texts]).keys() == {
        text_key(t) for t in texts
    }


def test_concurrent_writers_do_not_corrupt_each_other(tmp_path):
    """Two processes write overlapping entries to one identity at the same time."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {SRC!r})
        import numpy as np
        from topics.embedding import EmbeddingCache
        from topics.hashing import text_key

        worker = int(sys.argv[1])
        cache = EmbeddingCache({str(tmp_path)!r})
        for start in range(0, 60, 3):
            texts = [f"text {{i}}" for i in range(start + worker, start + worker + 4)]
            vecs = np.array([[len(t), sum(map(ord, t)), worker] for t in texts], np.float32)
            cache.put("shared", [text_key(t) for t in texts], vecs)
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(w)], stderr=subprocess.PIPE)
        for w in (0, 1)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    cache = EmbeddingCache(tmp_path)
    keys = [text_key(f"text {i}") for i in range(0, 61)]
    found = cache.get("shared", keys)
    assert len(found) == 61 and cache.corrupt == []
    assert all(found[text_key(f"text {i}")][0] == len(f"text {i}") for i in range(61))
    assert list(tmp_path.rglob(TMP_PREFIX + "*")) == []


def test_compact_merges_shards_and_keeps_every_entry(tmp_path, fitted, seed_units):
    cache = EmbeddingCache(tmp_path)
    cached = CachedEmbedder(fitted, cache)
    expected = np.concatenate([cached.embed(seed_units[i : i + 5]) for i in range(0, 20, 5)])
    ident = fitted.identity()
    assert len(shard_files(cache, ident, KEYS_SUFFIX)) == 4
    merged = cache.compact(ident)
    assert shard_files(cache, ident, KEYS_SUFFIX) == [merged]
    assert len(shard_files(cache, ident, VECS_SUFFIX)) == 1
    reopened = CachedEmbedder(fitted, EmbeddingCache(tmp_path))
    assert np.array_equal(reopened.embed(seed_units[:20]), expected)
    assert reopened.cache.stats["hit_ratio"] == 1.0


def test_put_rejects_bad_input(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = text_key("a")
    with pytest.raises(ValueError, match="2-D"):
        cache.put("i", [key], np.ones(4, np.float32))
    with pytest.raises(ValueError, match="non-finite"):
        cache.put("i", [key], np.full((1, 4), np.nan, np.float32))
    with pytest.raises(ValueError, match="sha256"):
        cache.put("i", ["not a key"], np.ones((1, 4), np.float32))
    cache.put("i", [key], np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match="dims"):
        cache.put("i", [text_key("b")], np.ones((1, 5), np.float32))
    assert EmbeddingCache(tmp_path).stats["hit_ratio"] == 0.0


def test_embedding_no_texts_and_bad_input(tmp_path, fitted):
    cached = CachedEmbedder(fitted, EmbeddingCache(tmp_path))
    assert cached.embed([]).shape == (0, fitted.dim)
    with pytest.raises(ValueError, match="single string"):
        cached.embed("一段文字")
    with pytest.raises(ValueError, match="#1"):
        cached.embed(["ok", None])
