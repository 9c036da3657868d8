"""A reference corpus for NPMI: external texts, read by the data readers and tokenized once.

Two coherence figures are reported side by side (``topics.evaluation.evaluate_topics``):

* ``topics/npmi_mean`` (**in-corpus, document**): probabilities from the modelled units, each
  unit one boolean document. It says whether the topic words co-occur in the texts the topics
  came from, so it rewards words that were picked from those same texts.
* ``topics/npmi_ref_mean`` (**reference, sliding window**): probabilities from an external
  corpus (``coherence.reference.path``; THUCNews train for THUCNews), in boolean sliding
  windows of ``coherence.window`` tokens (10, as gensim's ``c_npmi``). It says whether the words
  go together in language at large, as in Röder et al. (2015), and cannot be inflated by
  fitting the modelled units.

Both follow gensim: a pair that never co-occurs scores ``log(eps / (P1 P2)) / -log(eps)``, close
to -1 (``eps = 1e-12``); a top word absent from the corpus is skipped and counted
(``topics/npmi_missing_words``, ``topics/npmi_ref_missing_words``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from topics.data.types import InputError
from topics.evaluation.coherence import unit_tokens


def reference_config(coherence: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict | None:
    """The data config of the reference corpus, or ``None`` when none is set.

    Keys of ``coherence.reference`` replace those of the run's ``data`` config, so a corpus in
    the run's own format needs only ``path``.
    """
    reference = dict((coherence or {}).get("reference") or {})
    if not reference.get("path"):
        return None
    merged = {**dict(data), **reference}
    merged.pop("eval_path", None)
    if merged.get("format") == "manifest":
        raise InputError(
            "coherence.reference.path: a reference corpus must be a folder, JSONL, CSV, TSV or "
            "Parquet file; set coherence.reference.format (and its fields) to read it"
        )
    return merged


def reference_tokens(
    cfg: Mapping[str, Any], tokenizer: Callable[[str], list[str]], token_filter: bool = True
) -> list[list[str]]:
    """Read the reference corpus of ``cfg`` and tokenize it like the units.

    Args:
        cfg: A data config (from :func:`reference_config`).
        tokenizer: The project tokenizer that produced the topic words.
        token_filter: Keep word tokens only, like the topic vectorizer.

    Returns:
        One token list per reference document (normalized like the units: NFKC, Simplified).
    """
    from topics.data import load_documents
    from topics.preprocess.normalize import normalize_for_model

    docs = load_documents(cfg)
    if not docs:
        raise InputError(f"coherence.reference.path={cfg.get('path')} holds no documents")
    return unit_tokens([normalize_for_model(d.text) for d in docs], tokenizer, token_filter)
