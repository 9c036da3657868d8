"""Look at finished runs from a notebook: pick a run, load its artifacts, predict, compare.

Typical use (``notebooks/explore.ipynb``)::

    from topics import explore as ex

    run = ex.pick_run(experiment="topics-seeds")       # latest FINISHED job run
    art = ex.load_run_artifacts(run)                    # DataFrames + figure paths
    ex.representative_units(art, topic_id=0)
    ex.predict_texts(art, ["銀行用大模型做風控", "Banks adopt generative AI"])
    ex.compare_runs([run_a.info.run_id, run_b.info.run_id])  # params that differ + metrics
"""

from topics.explore.predict import predict_texts, theme_model_uri
from topics.explore.runs import (
    DEFAULT_EXPERIMENT,
    THEME_MODEL,
    RunArtifacts,
    RunNotFoundError,
    cache_root,
    default_tracking_uri,
    load_run_artifacts,
    pick_run,
    pick_runs,
)
from topics.explore.tables import (
    EmbeddedFigure,
    article_profiles,
    compare_runs,
    compare_topics,
    representative_units,
    topics_table,
)

__all__ = [
    "DEFAULT_EXPERIMENT",
    "EmbeddedFigure",
    "THEME_MODEL",
    "RunArtifacts",
    "RunNotFoundError",
    "article_profiles",
    "compare_runs",
    "cache_root",
    "compare_topics",
    "default_tracking_uri",
    "load_run_artifacts",
    "pick_run",
    "pick_runs",
    "predict_texts",
    "representative_units",
    "theme_model_uri",
    "topics_table",
]
