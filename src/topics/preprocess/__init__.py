"""Preprocess stage: boilerplate removal, normalization, deduplication, segmentation."""
