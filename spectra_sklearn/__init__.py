"""spectra_sklearn: a scikit-learn compatible toolkit for classifying astronomical spectra.

The containers live at the top level; the steps live in sub-packages:

- :mod:`spectra_sklearn.io` -- read survey files into spectra;
- :mod:`spectra_sklearn.preprocessing` -- resampling, continuum normalisation;
- :mod:`spectra_sklearn.nn` -- skorch-wrapped PyTorch estimators;
- :mod:`spectra_sklearn.datasets` -- data home, fetchers and the embedded SpeX sample;
- :mod:`spectra_sklearn.pipelines` -- ready-made reader → grid → normalisation → classifier
  pipelines for the datasets the package knows (``make_spex_pipeline``, ...);
- :mod:`spectra_sklearn.survey` -- :func:`predict_files`: classify survey-sized file lists in
  chunks (resumable CSV/Parquet/SQLite output, local processes or a Dask cluster);
- :mod:`spectra_sklearn.model_selection` -- cross-survey splits, repeated stratified group k-fold;
- :mod:`spectra_sklearn.plotting` -- spectra, class means, confusion matrix, training curves,
  latent space and CNN saliency (matplotlib).
"""

# The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0.dev0"

__all__ = ["Spectrum", "SpectrumBatch", "__version__", "predict_files"]

# Public names imported on first use, so that ``import spectra_sklearn`` (and
# ``spectra-sklearn --help``) does not import astropy, scikit-learn or torch.
_LAZY = {
    "Spectrum": "._spectrum",
    "SpectrumBatch": "._batch",
    "predict_files": ".survey",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
