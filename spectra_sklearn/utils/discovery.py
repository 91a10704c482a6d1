"""Find every public estimator of the package, as scikit-learn's ``all_estimators``.

Test suites use it so that a new estimator cannot escape the common checks:
``tests/test_common.py`` fails when a public estimator has no configuration in
its list.
"""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]

# Subpackages whose import needs an optional dependency or is a program, not a library.
_SKIP = ("spectra_sklearn.cli", "spectra_sklearn.__main__",
         "spectra_sklearn.datasets._make_spex_sample")


def all_estimators(type_filter: str | list[str] | None = None) -> list[tuple[str, type]]:
    """Every public scikit-learn estimator class defined in ``spectra_sklearn``.

    Walks the package's modules (private ones included, where the classes are
    defined) and keeps the classes that subclass
    :class:`sklearn.base.BaseEstimator`, are not abstract, whose names do not
    start with ``_`` or ``Base``, and that a public module re-exports
    (``spectra_sklearn.<subpackage>.__all__``).

    Parameters
    ----------
    type_filter : {'classifier', 'regressor', 'transformer', 'cluster'}, list of \
them or None, default=None
        Keep only estimators of these kinds (as in
        :func:`sklearn.utils.discovery.all_estimators`); ``None`` keeps all.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name.

    Raises
    ------
    ValueError
        If ``type_filter`` names an unknown kind.

    Examples
    --------
    >>> from spectra_sklearn.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators(type_filter="transformer")]
    >>> "SpectralResampler" in names
    True
    """
    import spectra_sklearn

    kinds = {"classifier": "ClassifierMixin", "regressor": "RegressorMixin",
             "transformer": "TransformerMixin", "cluster": "ClusterMixin"}
    if type_filter is not None:
        wanted = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = [k for k in wanted if k not in kinds]
        if unknown:
            raise ValueError(
                f"The 'type_filter' parameter must be None or one of {sorted(kinds)} "
                f"(or a list of them). Got {unknown!r} instead."
            )
    public = set()
    for info in pkgutil.walk_packages(spectra_sklearn.__path__, "spectra_sklearn."):
        if info.name.startswith(_SKIP) or ".tests" in info.name:
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("spectra_sklearn"):
                raise
            continue  # needs an optional dependency that is not installed
        if not info.ispkg and info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                    and not inspect.isabstract(obj)
                    and not name.startswith(("_", "Base"))):
                public.add((name, obj))
    found = sorted(public, key=lambda pair: pair[0])
    if type_filter is None:
        return found
    return [(name, cls) for name, cls in found
            if any(kinds[k] in {base.__name__ for base in cls.__mro__} for k in wanted)]
