"""Fixtures of the report tests: a small fitted CNN on the embedded SpeX sample, its report
and catalogue, the lookup server started for real on 127.0.0.1, and headless Chromium."""

import os
import threading

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def spex():
    from spectra_sklearn.datasets import load_spex_sample

    return load_spex_sample()


@pytest.fixture(scope="session")
def model(spex):
    """The spex preset with a small, quickly trained CNN (about 90 % right on its data)."""
    from spectra_sklearn.pipelines import make_spex_pipeline

    pipe = make_spex_pipeline(model="cnn", max_epochs=3, random_state=0)
    pipe[-1].set_params(n_filters=8, n_blocks=2)
    return pipe.fit(list(spex.filenames), spex.target_class)


@pytest.fixture(scope="session")
def model_file(model, tmp_path_factory):
    from spectra_sklearn.cli._model_file import save_model

    path = tmp_path_factory.mktemp("model") / "model.joblib"
    save_model(path, model, info={"trained_on": "SpeX sample (embedded)", "preset": "spex"})
    return path


@pytest.fixture(scope="session")
def report(model, spex, tmp_path_factory):
    """``(path, ReportData)`` of the report of ``model`` on the whole sample."""
    from spectra_sklearn.report import write_report

    path = tmp_path_factory.mktemp("report") / "report.html"
    data = write_report(model, list(spex.filenames), spex.target_class, path=path,
                        title="SpeX sample")
    return path, data


@pytest.fixture(scope="session")
def catalog(report, tmp_path_factory):
    """A catalogue of the report's rows; one row's spectrum file is gone."""
    import shutil

    from spectra_sklearn.report import write_catalog

    _, data = report
    folder = tmp_path_factory.mktemp("catalog")
    rows = [dict(r) for r in data.rows]
    gone = folder / "copy_of_a_spectrum.fits.gz"
    shutil.copy(rows[0]["path"], gone)
    rows[0] = dict(rows[0], path=str(gone), name=gone.name)
    path = write_catalog(folder / "catalog.sqlite", rows, classes=data.classes,
                         info={"model": "test"})
    gone.unlink()
    return path


@pytest.fixture(scope="session")
def server(catalog):
    """The lookup server on 127.0.0.1, a free port, in a thread: its base URL."""
    from spectra_sklearn.report._server import make_server

    srv = make_server(catalog, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture(scope="session")
def driver():
    """Headless Chromium through Selenium; skipped with the reason when it is absent."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, "
                    f"{CHROMEDRIVER}); .ci/run installs them")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1200"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield browser
    browser.quit()


def tiled(data, n):
    """A ReportData of ``n`` objects made of copies of ``data``'s, each with its own ids."""
    from spectra_sklearn.report._collect import ReportData

    k = len(data.rows)
    index = np.arange(n) % k
    rows = []
    for j, i in enumerate(index):
        row = dict(data.rows[i])
        copy = j // k
        row["name"] = f"copy{copy}_{row['name']}"
        row["source_key"] = f"{row.get('source_key', '')}-{copy}"
        rows.append(row)
    return ReportData(
        classes=data.classes, rows=rows, spectra=[data.spectra[i] for i in index],
        network_input=data.network_input[index], network_wavelength=data.network_wavelength,
        network_wavelength_unit=data.network_wavelength_unit, proba=None, branch_proba={},
        saliency=None if data.saliency is None else data.saliency[index])


@pytest.fixture(scope="session")
def tile():
    """:func:`tiled`, for the tests."""
    return tiled
