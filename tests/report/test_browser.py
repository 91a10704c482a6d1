"""The report file and the served page in real headless Chromium (Selenium).

Each test fails on any JavaScript error in the browser's console and saves a
screenshot under its pytest temporary folder.
"""

import csv
import time

import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("driver")


def _open(driver, url, timeout=60):
    """Load ``url`` and wait until the viewer says it is ready; seconds taken."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # forget what earlier pages logged
    start = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.body && document.body.dataset.ready"))
    return time.perf_counter() - start


def _no_console_errors(driver):
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def _find(driver, text="", **fields):
    from selenium.webdriver.common.by import By

    for key in ("q", "plate", "mjd", "fiberid"):
        box = driver.find_element(By.ID, key)
        box.clear()
        value = text if key == "q" else fields.get(key, "")
        if value:
            box.send_keys(str(value))
    driver.execute_script("document.getElementById('pred').textContent = '';"
                          "document.getElementById('message').textContent = '';")
    driver.find_element(By.ID, "go").click()


def _wait_text(driver, element_id, timeout=30):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.ID, element_id).text.strip())
    return driver.find_element(By.ID, element_id).text


def _shown_labels(driver):
    from selenium.webdriver.common.by import By

    _wait_text(driver, "pred")
    return (driver.find_element(By.ID, "pred").text, driver.find_element(By.ID, "true").text)


def _click_cell(driver, true, pred):
    from selenium.webdriver.common.by import By

    cell = driver.find_element(
        By.CSS_SELECTOR, f'#confusion td.cm-cell[data-true="{true}"][data-pred="{pred}"]')
    count = int(cell.text)
    cell.click()
    _wait_text(driver, "cell-title")
    rows = driver.find_elements(By.CSS_SELECTOR, "#cell-objects tr.obj")
    return count, rows


def _off_diagonal(confusion, classes):
    i, j = max(((i, j) for i in range(len(classes)) for j in range(len(classes)) if i != j),
               key=lambda ij: confusion[ij[0]][ij[1]])
    return classes[i], classes[j]


def test_report_shows_each_object_as_predicted(driver, report, model, spex, tmp_path):
    from selenium.webdriver.common.by import By

    path, data = report
    _open(driver, path.as_uri())
    predicted = model.predict(list(spex.filenames))
    for i in (0, 17, 299):
        name = data.rows[i]["name"]
        _find(driver, name)
        assert _shown_labels(driver) == (predicted[i], spex.target_class[i]), name
    proba = driver.find_elements(By.CSS_SELECTOR, "#proba tr")
    assert [r.get_attribute("data-class") for r in proba] == data.classes
    traces = driver.execute_script(
        "return document.getElementById('spectrum-plot').data.map(t => t.name)")
    assert "flux" in traces and "±1σ (1/√ivar)" in traces
    assert any(t.startswith("saliency") for t in traces)  # a CNN: the saliency overlay
    xtitle = driver.execute_script(
        "return document.getElementById('spectrum-plot').layout.xaxis.title.text")
    assert xtitle.startswith("wavelength [")
    driver.save_screenshot(str(tmp_path / "report_object.png"))
    _no_console_errors(driver)


def test_confusion_matrix_cell_lists_its_objects(driver, report, tmp_path):
    from selenium.webdriver.common.by import By

    path, data = report
    _open(driver, path.as_uri())
    summary = driver.execute_script(
        "return JSON.parse(document.getElementById('report-data').textContent).summary")
    true, pred = _off_diagonal(summary["confusion"], summary["classes"])
    count, rows = _click_cell(driver, true, pred)
    expected = [r["name"] for r in data.rows if r["y_true"] == true and r["y_pred"] == pred]
    assert count == len(expected) == len(rows)
    assert sorted(r.find_element(By.TAG_NAME, "td").text for r in rows) == sorted(expected)
    if rows:
        rows[0].click()
        assert _shown_labels(driver) == (pred, true)
    accuracy = float(driver.find_element(By.ID, "accuracy").text)
    assert accuracy == pytest.approx(np.mean([r["y_true"] == r["y_pred"] for r in data.rows]),
                                     abs=5e-4)
    driver.save_screenshot(str(tmp_path / "report_cell.png"))
    _no_console_errors(driver)


def test_partial_and_unknown_ids(driver, report):
    from selenium.webdriver.common.by import By

    path, data = report
    _open(driver, path.as_uri())
    prefix = data.rows[0]["name"][:3]
    _find(driver, prefix)
    assert "candidates" in _wait_text(driver, "message")
    items = driver.find_elements(By.CSS_SELECTOR, "#candidates li")
    id_keys = ("name", "path", "source_key", "data_key", "designation", "object_name")
    expected = sum(any(prefix in str(r[k]).lower() for k in id_keys if r.get(k))
                   for r in data.rows)
    assert len(items) == min(expected, 50)
    items[0].click()
    assert _shown_labels(driver)[0] in data.classes
    _find(driver, data.rows[0]["name"] + "-nope")
    message = _wait_text(driver, "message")
    assert message.startswith("not found") and data.rows[0]["name"] in message
    _find(driver, "' OR 1=1 --")
    assert _wait_text(driver, "message").startswith("not found")
    _no_console_errors(driver)


def test_sdss_ids_as_one_string_and_as_fields(driver, model, spex, tmp_path):
    from spectra_sklearn.report import write_report

    files = list(spex.filenames[:12])
    ids = [{"plate": 3073 + i % 2, "mjd": 54852, "fiberid": 100 + i} for i in range(12)]
    path = tmp_path / "sdss.html"
    data = write_report(model, files, spex.target_class[:12], path=path, ids=ids)
    _open(driver, path.as_uri())
    for text in ("3074-54852-0105", "3074-54852-105", "3074 54852 105"):
        _find(driver, text)
        assert _shown_labels(driver) == (data.rows[5]["y_pred"], data.rows[5]["y_true"]), text
    _find(driver, plate=3073, mjd=54852, fiberid=104)
    assert _shown_labels(driver) == (data.rows[4]["y_pred"], data.rows[4]["y_true"])
    _find(driver, plate=3073, mjd=54852)  # partial: the six fibres of plate 3073
    assert _wait_text(driver, "message").startswith("6 candidates")
    _no_console_errors(driver)


def test_demo_report_matches_predictions_csv(driver, tmp_path):
    from spectra_sklearn.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--output-dir", str(out), "--n-splits", "2", "--model", "svc"]) == 0
    with open(out / "predictions.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    _open(driver, (out / "report.html").as_uri())
    for row in (rows[3], rows[150], next(r for r in rows if r["true"] != r["predicted"])):
        _find(driver, row["name"])
        assert _shown_labels(driver) == (row["predicted"], row["true"]), row
    driver.save_screenshot(str(tmp_path / "demo_report.png"))
    _no_console_errors(driver)


def test_report_of_10000_objects_opens_fast(driver, report, tile, tmp_path):
    from spectra_sklearn.report._html import write_report_data

    _, data = report
    big = tile(data, 10_000)
    path = tmp_path / "report_10000.html"
    start = time.perf_counter()
    write_report_data(big, path=path, title="10,000 objects")
    written = time.perf_counter() - start
    driver.get("about:blank")
    seconds = _open(driver, path.as_uri())
    interactive, ready = driver.execute_script(
        "return [window.reportInteractive, window.reportReady]")
    print(f"\n10,000-object report: {path.stat().st_size / 1e6:.1f} MB written in "
          f"{written:.1f} s; opened in {seconds:.2f} s (Selenium get -> ready); in the page: "
          f"search and tables ready {interactive / 1000:.2f} s, plots drawn {ready / 1000:.2f} s "
          "after navigation start")
    row = big.rows[9_876]
    _find(driver, row["name"])
    assert _shown_labels(driver) == (row["y_pred"], row["y_true"])
    driver.save_screenshot(str(tmp_path / "report_10000.png"))
    _no_console_errors(driver)


def test_served_page(driver, server, catalog, tmp_path):
    from spectra_sklearn.report import Catalog

    cat = Catalog(catalog)
    _open(driver, server + "/")
    row = cat.get(42)
    _find(driver, row["source_key"])
    assert _shown_labels(driver) == (row["y_pred"], row["y_true"])
    traces = driver.execute_script(
        "return document.getElementById('spectrum-plot').data.map(t => t.name)")
    assert "flux" in traces  # read from its file by the server
    driver.save_screenshot(str(tmp_path / "served_object.png"))
    gone = cat.get(1)
    _find(driver, gone["name"])
    assert _shown_labels(driver) == (gone["y_pred"], gone["y_true"])
    assert "is gone" in _wait_text(driver, "status")
    summary = cat.summary()
    true, pred = _off_diagonal(summary["confusion"], summary["classes"])
    count, rows = _click_cell(driver, true, pred)
    assert count == summary["confusion"][summary["classes"].index(true)][
        summary["classes"].index(pred)] == len(rows)
    _find(driver, "no such thing")
    assert "closest ids" in _wait_text(driver, "message")
    driver.save_screenshot(str(tmp_path / "served_summary.png"))
    _no_console_errors(driver)


def test_fusion_model_shows_every_branch(driver, spex, tmp_path):
    from selenium.webdriver.common.by import By

    from spectra_sklearn.nn import SpectrumFusionClassifier
    from spectra_sklearn.pipelines import make_spex_pipeline
    from spectra_sklearn.report import write_report

    flux = np.asarray(make_spex_pipeline(model="svc")[:-1].fit_transform(list(spex.filenames)))
    X = np.column_stack([flux, np.log10(np.asarray(spex.frame["MEDIAN_SNR"], dtype=float))])
    clf = SpectrumFusionClassifier(n_tabular_features=1, n_filters=4, n_blocks=2, max_epochs=2,
                                   random_state=0).fit(X, spex.target_class)
    path = tmp_path / "fusion.html"
    names = [{"object_id": f"obj{i}"} for i in range(len(X))]
    write_report(clf, X, spex.target_class, path=path, ids=names)
    _open(driver, path.as_uri())
    _find(driver, "obj7")
    assert _shown_labels(driver) == (clf.predict(X[7:8])[0], spex.target_class[7])
    rows = driver.find_elements(By.CSS_SELECTOR, "#branches tr[data-branch]")
    assert [r.get_attribute("data-branch") for r in rows] == list(clf.branch_names_)
    for row in rows:
        branch = row.get_attribute("data-branch")
        proba = clf.predict_proba(X[7:8], branch=branch)[0]
        shown = [float(td.text) for td in row.find_elements(By.TAG_NAME, "td")[2:]]
        assert shown == pytest.approx(proba, abs=6e-4), branch
    driver.save_screenshot(str(tmp_path / "fusion.png"))
    _no_console_errors(driver)
