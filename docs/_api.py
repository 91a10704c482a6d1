"""Write the API reference pages from each public subpackage's ``__all__``.

Called by ``conf.py`` at the start of every build: one page per subpackage with
an autosummary table of its public names, and one generated page per name.
Nothing here is edited by hand when a class or function is added.
"""

import importlib
import tempfile
from pathlib import Path

SUBPACKAGES = [
    ("spectra_sklearn", "Containers and top-level functions"),
    ("spectra_sklearn.io", "Reading survey files"),
    ("spectra_sklearn.preprocessing", "Preprocessing steps"),
    ("spectra_sklearn.images", "Images"),
    ("spectra_sklearn.nn", "Neural estimators"),
    ("spectra_sklearn.nn.modules", "PyTorch building blocks"),
    ("spectra_sklearn.pipelines", "Dataset presets"),
    ("spectra_sklearn.datasets", "Datasets and the data home"),
    ("spectra_sklearn.model_selection", "Model selection across surveys"),
    ("spectra_sklearn.plotting", "Plots"),
    ("spectra_sklearn.report", "Report page and lookup server"),
    ("spectra_sklearn.survey", "Survey-scale prediction"),
    ("spectra_sklearn.utils", "Utilities"),
    ("spectra_sklearn.utils.discovery", "Estimator discovery"),
]


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        raise RuntimeError(f"{module.__name__} has no __all__; the API page lists __all__")
    return sorted(n for n in names if not n.startswith("_"))


def write_api_pages(folder):
    """Write ``folder/index.rst`` and one page per subpackage (only if changed)."""
    folder.mkdir(exist_ok=True)
    toc = []
    for name, title in SUBPACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("spectra_sklearn"):
                continue  # a subpackage this version does not have
            raise
        names = _public_names(module)
        if not names:
            continue
        page = [
            f"``{name}``: {title}",
            "=" * (len(name) + 6 + len(title)),
            "",
            f".. automodule:: {name}",
            "   :no-members:",
            "",
            f".. currentmodule:: {name}",
            "",
            ".. autosummary::",
            "   :toctree: generated",
            "   :nosignatures:",
            "",
            *(f"   {n}" for n in names),
            "",
        ]
        _write_if_changed(folder / f"{name}.rst", "\n".join(page))
        toc.append(f"   {name}")
    index = ["API reference", "=============", "", "Generated from each subpackage's "
             "``__all__``.", "", ".. toctree::", "   :maxdepth: 1", "", *toc, ""]
    _write_if_changed(folder / "index.rst", "\n".join(index))


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def example_argv(gallery_conf, script_vars):
    """Command-line arguments of every example in the gallery build.

    Quick mode, figures to a scratch folder (never over a user's files).
    Named in ``conf.py`` by its import path, so the configuration pickles.
    """
    out = Path(tempfile.gettempdir()) / "spectra_sklearn_docs_examples"
    return ["--quick", "--force", "--output-dir", str(out)]
