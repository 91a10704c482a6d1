"""The lookup server, started for real on 127.0.0.1 and asked over HTTP."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from spectra_sklearn.report import Catalog


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def _json(url):
    status, _, body = _get(url)
    return status, json.loads(body)


def _quote(text):
    return urllib.parse.quote(text, safe="")


def test_page_is_served_offline(server):
    status, headers, body = _get(server + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert 'data-mode="server"' in page and "Plotly" in page
    # nothing to fetch: no external script or style sheet (plotly.js is inlined)
    assert "<script src=" not in page and 'rel="stylesheet"' not in page


def test_lookup_by_id_gives_the_catalogue_row(server, catalog):
    cat = Catalog(catalog)
    row = cat.get(7)
    for text in (row["name"], row["source_key"], row["data_key"], row["name"].upper()):
        status, body = _json(f"{server}/api/lookup/{_quote(text)}")
        assert status == 200, text
        (match,) = body["matches"]
        assert (match["key"], match["y_pred"], match["y_true"]) == (
            7, row["y_pred"], row["y_true"])


def test_unknown_id_is_not_found_with_the_closest_ids(server, catalog):
    name = Catalog(catalog).get(7)["name"]
    status, body = _json(f"{server}/api/lookup/{_quote(name[:-4] + 'xyz')}")
    assert status == 404 and body["not_found"]
    assert name in body["closest"]
    status, body = _json(f"{server}/api/search?q={_quote('no such object')}")
    assert status == 200 and body["matches"] == [] and body["closest"]


@pytest.mark.parametrize("text", ["' OR 1=1 --", "%", "\" OR \"\"=\"", "1; DROP TABLE objects"])
def test_sql_metacharacters_are_handled_as_data(server, catalog, text):
    n = len(Catalog(catalog))
    status, body = _json(f"{server}/api/lookup/{_quote(text)}")
    assert status == 404 and body["not_found"]
    status, body = _json(f"{server}/api/search?q={_quote(text)}")
    assert status == 200 and body["matches"] == []
    status, body = _json(f"{server}/api/cell?true={_quote(text)}&pred={_quote(text)}")
    assert status == 200 and body["total"] == 0
    assert len(Catalog(catalog)) == n  # nothing was run, nothing was dropped


def test_malformed_sdss_fields_are_a_clear_error(server):
    status, body = _json(f"{server}/api/search?plate=12a&mjd=54852")
    assert status == 400 and "plate" in body["error"]
    status, body = _json(f"{server}/api/object/999999")
    assert status == 404 and body["not_found"]
    status, _, _ = _get(f"{server}/api/object/{_quote('1 OR 1=1')}")
    assert status == 404


def test_object_reads_its_spectrum_from_the_file(server, catalog):
    row = Catalog(catalog).get(3)
    status, body = _json(f"{server}/api/object/3")
    assert status == 200
    assert body["spectrum_error"] is None
    spectrum = body["spectrum"]
    import astropy.units as u

    assert spectrum["wu"] == u.um.to_string("unicode")
    assert spectrum["n"] > 100 and spectrum["e"] is not None
    assert body["proba"] == pytest.approx(row["proba"], abs=1e-6)
    assert body["y_pred"] == max(row["proba"], key=row["proba"].get)


def test_missing_spectrum_file_keeps_the_prediction(server, catalog):
    row = Catalog(catalog).get(1)  # its file was deleted after cataloguing
    status, body = _json(f"{server}/api/object/1")
    assert status == 200
    assert body["spectrum"] is None and "is gone" in body["spectrum_error"]
    assert row["path"] in body["spectrum_error"]
    assert body["y_pred"] == row["y_pred"] and body["y_true"] == row["y_true"]


def test_summary_and_cells_agree_with_the_catalogue(server, catalog):
    from sklearn.metrics import confusion_matrix

    cat = Catalog(catalog)
    rows = [cat.get(i) for i in range(1, len(cat) + 1)]
    status, s = _json(f"{server}/api/summary")
    assert status == 200
    expected = confusion_matrix([r["y_true"] for r in rows], [r["y_pred"] for r in rows],
                                labels=s["classes"])
    assert s["confusion"] == expected.tolist()
    i, j = 0, 1
    status, cell = _json(f"{server}/api/cell?true={s['classes'][i]}&pred={s['classes'][j]}")
    assert cell["total"] == expected[i, j] == len(cell["matches"])


def test_binds_only_localhost_by_default():
    from spectra_sklearn.cli import _parser

    args = _parser().parse_args(["serve", "catalog.sqlite"])
    assert args.host == "127.0.0.1"


def test_serve_command_reports_a_missing_catalogue(tmp_path, capsys):
    from spectra_sklearn.cli import main

    assert main(["serve", str(tmp_path / "none.sqlite"), "--port", "0"]) == 1
    assert "does not exist" in capsys.readouterr().err
