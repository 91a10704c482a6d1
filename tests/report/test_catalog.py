"""The SQLite catalogue: written atomically, looked up by every id, SQL text handled as data."""

import json
import sqlite3

import pytest

from spectra_sklearn.report import Catalog, CatalogWriter, ids_from_meta, write_catalog
from spectra_sklearn.report._predictions import add_catalog, ids_from_path


def _sdss_rows(n=30):
    return [
        {"name": f"spec-{3073 + i % 3:04d}-{54852 + i % 2}-{i:04d}.fits", "plate": 3073 + i % 3,
         "mjd": 54852 + i % 2, "fiberid": i, "designation": f"J{i:04d}+0000",
         "y_true": "M" if i % 2 else "L", "y_pred": "M", "proba": [0.5 + i / 100, 0.5 - i / 100]}
        for i in range(n)
    ]


@pytest.fixture
def sdss_catalog(tmp_path):
    return Catalog(write_catalog(tmp_path / "c.sqlite", _sdss_rows(), classes=["M", "L"]))


def test_lookup_by_every_spex_id(catalog, report):
    _, data = report
    cat = Catalog(catalog)
    row = data.rows[5]
    for key in ("name", "path", "source_key", "data_key"):
        found = cat.lookup(row[key])
        assert [r["name"] for r in found] == [row["name"]], key
        assert found[0]["y_pred"] == row["y_pred"] and found[0]["y_true"] == row["y_true"]
        assert found[0]["proba"] == pytest.approx(row["proba"], abs=1e-6)
    assert cat.lookup(row["name"].upper())[0]["name"] == row["name"]  # case-insensitive
    assert len(cat) == len(data.rows)
    assert cat.classes == data.classes


def test_sdss_ids_as_one_string_or_fields(sdss_catalog):
    cat = sdss_catalog
    for text in ("3073-54852-0000", "3073-54852-0", " 3073 54852 0 ", "3073/54852/0"):
        assert [r["fiberid"] for r in cat.lookup(text)] == [0], text
    assert [r["fiberid"] for r in cat.lookup_sdss(plate=3074, mjd=54853)] == [1, 7, 13, 19, 25]
    assert {r["plate"] for r in cat.search("3075-5485")} == {3075}  # partial: candidates
    assert cat.search("j001", limit=5)[0]["designation"].startswith("J001")


def test_sql_metacharacters_are_data(sdss_catalog, tmp_path):
    cat = sdss_catalog
    for text in ("' OR 1=1 --", "%", "_", "\" OR \"\"=\"", "1; DROP TABLE objects"):
        assert cat.lookup(text) == [], text
        assert cat.search(text) == [], text
    assert len(cat) == 30  # the table is still there
    assert cat.closest_ids("' OR 1=1 --")  # suggestions, not an error


def test_closest_ids_of_an_unknown_id(sdss_catalog):
    closest = sdss_catalog.closest_ids("spec-3073-54852-0006.fit")
    assert closest[0] == "spec-3073-54852-0006.fits"


def test_summary_matches_sklearn(sdss_catalog):
    from sklearn.metrics import accuracy_score, confusion_matrix

    rows = _sdss_rows()
    s = sdss_catalog.summary()
    t = [r["y_true"] for r in rows]
    p = [r["y_pred"] for r in rows]
    assert s["accuracy"] == pytest.approx(accuracy_score(t, p))
    assert s["confusion"] == confusion_matrix(t, p, labels=["M", "L"]).tolist()
    probs = [s_["p_max"] for s_ in s["misclassified"]]
    assert probs == sorted(probs, reverse=True) and len(probs) == 15


def test_never_overwrites_without_overwrite(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="overwrite"):
        write_catalog(path, _sdss_rows())
    assert path.read_bytes() == b"mine"
    write_catalog(path, _sdss_rows(), classes=["M", "L"], overwrite=True)
    assert len(Catalog(path)) == 30
    assert [p.name for p in tmp_path.iterdir()] == ["c.sqlite"]  # no temporary file left


def test_writer_appends_in_chunks_and_is_atomic(tmp_path):
    path = tmp_path / "c.sqlite"
    rows = _sdss_rows()
    with CatalogWriter(path, classes=["M", "L"], info={"run": 1}) as writer:
        assert writer.append(rows[:10]) == 10
        assert not path.exists()  # readers never see a half-written catalogue
        temporary = [p for p in tmp_path.iterdir()]
        assert len(temporary) == 1 and temporary[0].name.endswith(".part")
        # each chunk is committed in the temporary file
        with sqlite3.connect(temporary[0]) as other:
            assert other.execute("SELECT count(*) FROM objects").fetchone()[0] == 10
        assert writer.append(rows[10:]) == 30
    cat = Catalog(path)
    assert len(cat) == 30 and cat.info == {"run": 1}
    with pytest.raises(RuntimeError):
        with CatalogWriter(tmp_path / "d.sqlite", classes=["M", "L"]) as writer:
            writer.append(rows[:3])
            raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite"]


def test_every_id_column_is_indexed(sdss_catalog):
    from spectra_sklearn.report import ID_COLUMNS

    conn = sdss_catalog._conn
    indexed = set()
    for (index,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                 "tbl_name = 'objects'").fetchall():
        indexed.update(r[2] for r in conn.execute(f"PRAGMA index_info({index})"))
    assert set(ID_COLUMNS) | {"plate", "mjd", "fiberid"} <= indexed
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM objects WHERE name LIKE ? "
                        "ESCAPE '\\'", ("spec%",)).fetchall()
    assert "USING INDEX" in plan[0][3]  # prefix search uses the index too


def test_bad_rows_and_files(tmp_path):
    with pytest.raises(ValueError, match="unknown"):
        write_catalog(tmp_path / "c.sqlite", [{"name": "a", "colour": "red"}])
    with pytest.raises(ValueError, match="classes"):
        write_catalog(tmp_path / "c.sqlite", [{"name": "a", "proba": [1.0]}])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Catalog(tmp_path / "missing.sqlite")
    (tmp_path / "not.sqlite").write_text("hello")
    with pytest.raises(ValueError, match="not a spectra_sklearn catalogue"):
        Catalog(tmp_path / "not.sqlite")


def test_ids_from_the_readers_meta(spex):
    from spectra_sklearn.io import read_spectrum

    spectrum = read_spectrum(spex.filenames[0])
    ids = ids_from_meta(spectrum.meta)
    name = spex.filenames[0].split("/")[-1]
    assert ids["name"] == name and ids["path"] == str(spex.filenames[0])
    data_key, source_key = name.split(".")[0].split("_")
    assert (ids["data_key"], ids["source_key"]) == (data_key, source_key)
    assert ids_from_meta({"number": 433, "name": "Eros", "designation": "433"}) == {
        "number": "433", "object_name": "Eros", "designation": "433"}
    assert ids_from_meta({"miles_id": "0001"})["miles_id"] == "0001"
    assert ids_from_path("/x/m0012V.fits")["miles_id"] == "0012"


def test_predict_output_sqlite_is_a_catalogue(model_file, spex, tmp_path, capsys):
    from spectra_sklearn.cli import main

    out = tmp_path / "catalog.sqlite"
    files = list(spex.filenames[:6]) + [str(tmp_path / "missing.fits")]
    assert main(["predict", str(model_file), *files, "--output", str(out), "--quiet"]) == 0
    cat = Catalog(out)
    assert len(cat) == 7
    row = cat.lookup(ids_from_path(files[2])["source_key"])[0]
    with sqlite3.connect(out) as db:  # the streamed table is kept beside the catalogue
        predicted = dict(db.execute("SELECT name, predicted FROM predictions").fetchall())
    assert row["y_pred"] == predicted[files[2]]
    assert set(row["proba"]) == set(cat.classes)
    assert cat.lookup("missing.fits")[0]["status"] != "ok"
    add_catalog(out)  # again (after a resume): replaced, not doubled
    assert len(Catalog(out)) == 7
    assert json.loads(sqlite3.connect(out).execute(
        "SELECT value FROM info WHERE key='classes'").fetchone()[0]) == cat.classes
