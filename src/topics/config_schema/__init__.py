"""Structured-config schemas of the config groups, registered in Hydra's ConfigStore.

Each option of a covered group (``configs/<group>/<option>.yaml``) starts its defaults list
with the group's schema (``base_<name>``, stored here), so composition merges the YAML values
into a typed, struct-mode node: an unknown key (a typo such as ``preprocess.dedup.treshold``) or
a value of the wrong type (``preprocess.dedup.threshold=abc``) fails while Hydra composes the
config, with an error naming the key. The schemas carry keys and types only; the values, and
the comments that explain them, stay in the YAML files (``???`` in a schema = set by the YAML).

:func:`register_schemas` runs before every composition: :func:`topics.paths.config_dir`, which
every composer (``topics-run``, the tests, notebooks) asks for the config folder, calls it.
:func:`load_option` reads one option outside Hydra (code and tests that need one group only).
"""

from __future__ import annotations

from topics.config_schema.options import load_option
from topics.config_schema.registry import SCHEMAS, register_schemas, schema_keys

__all__ = ["SCHEMAS", "load_option", "register_schemas", "schema_keys"]
