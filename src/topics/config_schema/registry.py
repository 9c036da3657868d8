"""The table of schemas and their registration in Hydra's ConfigStore."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from topics.config_schema.backends import COMPUTE_SCHEMAS, EMBEDDING_SCHEMAS
from topics.config_schema.classifier import CLASSIFIER_SCHEMAS
from topics.config_schema.data import DATA_SCHEMAS
from topics.config_schema.preprocess import PreprocessConfig
from topics.config_schema.root import RootConfig
from topics.config_schema.stages import STAGE_SCHEMAS
from topics.config_schema.topic_model import TOPIC_MODEL_SCHEMAS

#: Name of the primary config's schema (first in the defaults list of ``configs/config.yaml``).
ROOT_SCHEMA = "base_config"
#: Config group -> {schema name (``base_*``, named in the options' defaults lists) -> dataclass}.
SCHEMAS: dict[str, dict[str, Any]] = {
    "preprocess": {"base_preprocess": PreprocessConfig},
    "data": DATA_SCHEMAS,
    "embedding": EMBEDDING_SCHEMAS,
    "compute": COMPUTE_SCHEMAS,
    **TOPIC_MODEL_SCHEMAS,
    **STAGE_SCHEMAS,
    "classifier": CLASSIFIER_SCHEMAS,
}


def register_schemas() -> None:
    """Store every schema in Hydra's ConfigStore (idempotent); call before composing."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name=ROOT_SCHEMA, node=RootConfig)
    for group, schemas in SCHEMAS.items():
        for name, node in schemas.items():
            store.store(group=group, name=name, node=node)


def schema_keys(schema: type) -> frozenset[str]:
    """The keys of a schema (its dataclass fields), for code that checks plain mappings."""
    return frozenset(f.name for f in fields(schema))
