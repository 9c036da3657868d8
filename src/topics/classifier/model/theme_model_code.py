"""Models-from-code entry of the logged theme model (MLflow runs this file at load time)."""

from mlflow.models import set_model

from topics.classifier.model.pipeline import ThemePipeline

set_model(ThemePipeline())
