"""get_data_home: parameter > SPECTRA_SKLEARN_DATA > ~/spectra_sklearn_data."""

from pathlib import Path

import pytest

from spectra_sklearn.datasets import get_data_home


def test_parameter_wins_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECTRA_SKLEARN_DATA", str(tmp_path / "from_env"))
    assert get_data_home(tmp_path / "given") == tmp_path / "given"
    assert get_data_home(str(tmp_path / "given")) == tmp_path / "given"


def test_environment_wins_over_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECTRA_SKLEARN_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == tmp_path / "from_env"


@pytest.mark.parametrize("env", [None, ""])
def test_default_is_in_the_home_folder(tmp_path, monkeypatch, env):
    monkeypatch.setenv("HOME", str(tmp_path))
    if env is None:
        monkeypatch.delenv("SPECTRA_SKLEARN_DATA", raising=False)
    else:
        monkeypatch.setenv("SPECTRA_SKLEARN_DATA", env)
    assert get_data_home() == tmp_path / "spectra_sklearn_data"


def test_tilde_expanded_relative_made_absolute_nothing_created(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home("~/spectra") == tmp_path / "spectra"
    monkeypatch.chdir(tmp_path)
    home = get_data_home("relative/data")
    assert home.is_absolute() and home == tmp_path / "relative" / "data"
    assert not (tmp_path / "relative").exists()
    assert not (tmp_path / "spectra").exists()


def test_bad_type_names_the_parameter():
    with pytest.raises(TypeError, match="data_home must be a str, a path-like"):
        get_data_home(3)


def test_returns_a_path():
    assert isinstance(get_data_home("/x"), Path)
