"""Cross-validation for spectra: across surveys, by object, repeated.

- :class:`CrossSurveySplit` -- train on some surveys or fields, test on others;
- :class:`RepeatedStratifiedGroupKFold` -- stratified, group-aware, repeated
  k-fold, and :func:`repeated_cv_confidence_interval` for its scores.

Both request ``groups`` (they subclass scikit-learn's ``GroupsConsumerMixin``),
so they work with ``groups=`` in :func:`~sklearn.model_selection.cross_validate`
and :class:`~sklearn.model_selection.GridSearchCV`, and with metadata routing.

Nested tuning with groups
-------------------------
Tuning inside cross-validation (a :class:`~sklearn.model_selection.GridSearchCV`
given to :func:`~sklearn.model_selection.cross_validate`) needs the groups in
*both* loops: the outer splitter must keep each object on one side, and so must
the inner one, on the outer training fold. Without metadata routing
``cross_validate(..., groups=g)`` gives the groups to the outer splitter only,
and the inner group splitter, given no groups, fails (scikit-learn 1.9: "Cannot
have number of splits n_splits=3 greater than the number of groups: 1"). With
routing enabled (``sklearn.set_config(enable_metadata_routing=True)`` or, as
below, :func:`sklearn.config_context`), pass ``params={"groups": g}``:
scikit-learn routes them to the outer splitter's ``split`` and, indexed to the
training fold, to ``GridSearchCV.fit``, which routes them to the inner
splitter. Nothing needs a ``set_*_request`` call because the splitters request
``groups`` themselves.

>>> import sklearn
>>> from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
>>> from spectra_sklearn.pipelines import make_spex_pipeline
>>> from spectra_sklearn.datasets import load_spex_sample
>>> spex = load_spex_sample()
>>> inner = GridSearchCV(make_spex_pipeline(model="svc"), {"svc__C": [1.0, 10.0]},
...                      cv=StratifiedGroupKFold(n_splits=3))
>>> outer = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
>>> with sklearn.config_context(enable_metadata_routing=True):
...     result = cross_validate(inner, spex.data, spex.target_class, cv=outer,
...                             params={"groups": spex.groups}, return_estimator=True)
>>> len(result["test_score"]), bool(result["test_score"].min() > 0.8)
(3, True)
>>> sorted(result["estimator"][0].best_params_)
['svc__C']
"""

from ._cross_survey import CrossSurveySplit
from ._repeated import RepeatedStratifiedGroupKFold, repeated_cv_confidence_interval

__all__ = [
    "CrossSurveySplit",
    "RepeatedStratifiedGroupKFold",
    "repeated_cv_confidence_interval",
]
