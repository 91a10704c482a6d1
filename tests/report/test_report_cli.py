"""``spectra-sklearn report``: from a saved model, on files or a dataset, never over a file."""

import json
import re

from spectra_sklearn.cli import main
from spectra_sklearn.report import Catalog


def _embedded(path):
    text = path.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text,
                     re.S).group(1)
    return text, json.loads(data.replace("<\\/", "</"))


def test_report_of_a_dataset_with_its_catalogue(model_file, model, spex, tmp_path, capsys):
    out, cat = tmp_path / "report.html", tmp_path / "catalog.sqlite"
    argv = ["report", str(model_file), "--dataset", "spex-sample", "--output", str(out),
            "--catalog", str(cat)]
    assert main(argv) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text, data = _embedded(out)
    assert "<script src=" not in text  # self-contained
    predicted = model.predict(list(spex.filenames)).tolist()
    assert data["objects"]["y_pred"] == predicted
    assert data["objects"]["y_true"] == spex.target_class.tolist()
    assert [r["y_pred"] for r in (Catalog(cat).get(i + 1) for i in range(300))] == predicted
    before = out.read_bytes()
    assert main(argv) == 1  # never over an existing file without --force
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(argv + ["--force"]) == 0


def test_report_of_files_and_a_file_list(model_file, spex, tmp_path, capsys):
    files = [str(p) for p in spex.filenames[:5]]
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(files + [str(tmp_path / "gone.fits")]) + "\n")
    out = tmp_path / "list.html"
    assert main(["report", str(model_file), "--files-from", str(listing), "--output",
                 str(out)]) == 0
    _, data = _embedded(out)
    assert data["objects"]["status"] == ["ok"] * 5 + ["error"]
    assert data["objects"]["y_true"] == [None] * 6  # no labels: the summary has no scores
    assert data["summary"]["accuracy"] is None
    table = tmp_path / "train.csv"
    table.write_text("path,label\n" + "".join(f"{f},{y}\n" for f, y in
                                              zip(files, spex.target_class[:5])))
    out = tmp_path / "table.html"
    assert main(["report", str(model_file), "--files-from", str(table), "--output",
                 str(out)]) == 0
    assert _embedded(out)[1]["objects"]["y_true"] == spex.target_class[:5].tolist()
    assert main(["report", str(model_file), *files[:2], "--output",
                 str(tmp_path / "two.html")]) == 0
    assert main(["report", str(model_file), "--output", str(tmp_path / "x.html")]) == 1
    assert "exactly one of" in capsys.readouterr().err


def test_report_loads_an_old_pickle_model_file_only_with_trust_pickle(model, spex, tmp_path,
                                                                      capsys):
    import joblib

    from spectra_sklearn.cli._model_file import MODEL_FILE_KIND

    old = tmp_path / "old.joblib"  # what 'spectra-sklearn fit' wrote before skops
    joblib.dump({"kind": MODEL_FILE_KIND, "pipeline": model, "info": {}}, old)
    files = [str(p) for p in spex.filenames[:3]]
    out = tmp_path / "old.html"
    assert main(["report", str(old), *files, "--output", str(out)]) == 1
    assert "--trust-pickle" in capsys.readouterr().err and not out.exists()
    assert main(["report", str(old), *files, "--output", str(out), "--trust-pickle"]) == 0
    assert _embedded(out)[1]["objects"]["y_pred"] == model.predict(files).tolist()
