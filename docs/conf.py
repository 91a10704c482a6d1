"""Sphinx configuration of the spectra_sklearn documentation.

Build (warnings are errors): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
after ``pip install -e ".[docs]"``. The API reference is generated at build time
from each public subpackage's ``__all__`` (``_api.py`` beside this file), so a new
public class or function appears without editing the docs. The examples run as a
sphinx-gallery in their ``--quick`` mode (a few epochs on subsampled data).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _api import write_api_pages  # noqa: E402

import spectra_sklearn  # noqa: E402

project = "spectra_sklearn"
author = "the spectra_sklearn developers"
copyright = "the spectra_sklearn developers, BSD-3-Clause"
release = spectra_sklearn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "**/sg_execution_times.rst"]
root_doc = "index"

# numpydoc renders the docstrings; its class-member tables would list every
# inherited scikit-learn method again, so they are left to autosummary.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autosummary_generate = True
templates_path = ["_templates"]
# The estimators' own methods; scikit-learn's generated metadata-routing
# setters (set_fit_request, ...) are documented by scikit-learn.
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": ", ".join(
        f"set_{method}_request" for method in (
            "fit", "predict", "predict_proba", "score", "transform", "split",
            "inverse_transform", "partial_fit", "decision_function", "score_samples",
        )
    ),
}
autodoc_typehints = "none"
# No network at build time: intersphinx inventories are not fetched.
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = "spectra_sklearn"
html_theme_options = {"navigation_with_keys": False}
myst_heading_anchors = 3


os.environ.setdefault("SPECTRA_SKLEARN_EXAMPLES_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(_common|results_table)\.py",
    "reset_argv": "_api.example_argv",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "show_signature": False,
}


def setup(app):
    write_api_pages(HERE / "api")
