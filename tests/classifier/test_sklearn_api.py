"""Theme classifiers are scikit-learn estimators: clone, GridSearchCV and Pipeline work on them."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from topics.classifier import build_classifier


def test_clone_keeps_the_parameters_and_drops_the_fit(themes, units, gold_y):
    clf = build_classifier({"method": "keywords", "saturation": 3.0}, themes)
    fitted = clf.spawn().fit(units.norm.tolist(), gold_y, groups=units.doc_id.tolist())
    copy = clone(fitted)
    assert is_classifier(copy) and copy.get_params() == fitted.get_params()
    assert copy.saturation == 3.0 and not hasattr(copy, "estimator_")
    assert clone(clf).set_params(saturation=1.0).saturation == 1.0


def test_grid_search_and_pipeline_fit_and_predict(themes, units, gold_y):
    texts = units.norm.tolist()
    clf = build_classifier({"method": "keywords", "inner_splits": 2}, themes)
    search = GridSearchCV(
        clf, {"saturation": [0.5, 4.0]}, cv=KFold(2, shuffle=True, random_state=0)
    )
    search.fit(texts, gold_y)
    assert search.best_params_["saturation"] in (0.5, 4.0)
    assert len(search.cv_results_["mean_test_score"]) == 2
    pipe = Pipeline([("themes", clone(clf))]).fit(texts, gold_y)
    pred = pipe.predict(texts)
    assert pred.shape == gold_y.shape and set(np.unique(pred)) <= {0, 1}
    # subset accuracy of the fitted rules beats predicting no theme at all
    assert pipe.score(texts, gold_y) >= float((gold_y.sum(axis=1) == 0).mean())
