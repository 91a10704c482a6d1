"""Every public estimator is found, and each one is in the common checks."""

import pytest
from test_common import ESTIMATORS

from spectra_sklearn.utils.discovery import all_estimators

# Public estimators that take file paths, not arrays, so the checks above cannot
# run on them; each is checked where its reason says.
_CHECKED_ELSEWHERE = {
    "SpectrumReader": "takes file paths (tags two_d_array=False, string=True); its "
                      "API checks run in tests/io/test_io_reader.py",
    "ImageReader": "takes file paths like SpectrumReader; its API checks run in "
                   "tests/images/",
}


def test_every_public_estimator_is_checked():
    checked = {type(est).__name__ for est in ESTIMATORS}
    missing = [name for name, _ in all_estimators()
               if name not in checked and name not in _CHECKED_ELSEWHERE]
    assert not missing, (
        f"public estimators without a configuration in tests/test_common.py: {missing}; "
        "add one to ESTIMATORS (or a written reason to _CHECKED_ELSEWHERE)"
    )


def test_all_estimators_filters_by_kind():
    transformers = {name for name, _ in all_estimators(type_filter="transformer")}
    classifiers = {name for name, _ in all_estimators(type_filter="classifier")}
    assert {"SpectralResampler", "ContinuumNormalizer"} <= transformers
    assert "SpectrumCNNClassifier" in classifiers
    assert not transformers & classifiers - {"SpectrumAutoencoder"}
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators(type_filter="sampler")
