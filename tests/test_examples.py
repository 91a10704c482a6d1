"""The example scripts run end to end, in their ``--quick`` mode, on the real data.

Each example runs in a fresh interpreter with ``-W error`` (as pytest's
``filterwarnings = error``), its data home set to the ``shared_data`` folder
and its figures written to a temporary folder. The quick modes subsample and
train for a few epochs, so the scores are only checked to be well above
chance, never against the full-run numbers.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_example(name, out, data_home=None, *extra):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    env.pop("SPECTRA_SKLEARN_EXAMPLES_QUICK", None)
    if data_home is not None:
        env["SPECTRA_SKLEARN_DATA"] = str(data_home)
    return subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name), "--quick", "--output-dir",
         str(out), *extra],
        env=env, capture_output=True, text=True, timeout=600, cwd=out.parent,
    )


def check_run(result, out, pngs):
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "QUICK" in result.stdout
    for name in pngs:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC, name


def table_score(stdout, *cells):
    """The first 'mean ± std' (or plain number) after the given cells of a table row."""
    pattern = r"\s+".join(re.escape(c) for c in cells) + r"\s+(?:\S+\s+)*?(\d\.\d+)"
    match = re.search(pattern, stdout)
    assert match, f"no row {cells!r} in:\n{stdout}"
    return float(match.group(1))


def results_rows(out, experiment):
    """The rows of an example's results file (every one marked as a quick run)."""
    with open(out / f"{experiment}_results.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["quick"] == "True" for r in rows)
    return rows


def needs(data_home, *folders):
    missing = [f for f in folders if not (data_home / f).is_dir()]
    if missing:
        pytest.skip(f"data folders {missing} not in {data_home}")


def test_asteroid_taxonomy_example(shared_data, tmp_path):
    needs(shared_data, "smass2", "demeo2009", "mahlke2022")
    out = tmp_path / "out"
    result = run_example("plot_asteroid_taxonomy.py", out, shared_data)
    check_run(result, out, ["asteroid_confusion_matrices.png", "asteroid_latent_space.png",
                            "asteroid_cross_survey.png"])
    # the seed-style baseline is printed beside every supervised score
    for model, seed in [("SVM", "0.958"), ("MLP", "0.960"), ("CNN", "0.965")]:
        assert re.search(rf"C/S/X/Other\s+{model}\s+weighted F1\s+\S+ ± \S+\s+\S+ ± \S+\s+{seed}",
                         result.stdout), result.stdout
    # four balanced classes: chance is 0.25; the tuned SVM must be far above it
    assert table_score(result.stdout, "C/S/X/Other", "SVM", "weighted F1") > 0.6
    assert "ARI vs C/S/X/Other" in result.stdout
    assert "SMASSII -> DeMeo 2009" in result.stdout
    rows = results_rows(out, "asteroid_taxonomy")
    svm = next(r for r in rows if r["task"] == "SMASSII C/S/X/Other" and r["model"] == "SVM")
    # the results file holds the printed numbers, not others
    assert float(svm["score"].split()[0]) == table_score(result.stdout, "C/S/X/Other", "SVM",
                                                         "weighted F1")
    assert svm["baseline"] == "0.958 ± 0.014"


def test_spex_subtypes_example(shared_data, tmp_path):
    needs(shared_data, "spex_prism")
    out = tmp_path / "out"
    result = run_example("plot_spex_subtypes.py", out, shared_data)
    check_run(result, out, ["spex_subtype_regression.png", "spex_letter_confusion_matrix.png"])
    assert table_score(result.stdout, "5-NN") > 0.6  # three balanced classes
    # 1-NN subtype error far below that of guessing the mean type (~7 subtypes)
    assert table_score(result.stdout, "1-NN") < 3.0
    assert re.search(r"1-NN\s+\S+ ± \S+\s+0\.59\s+\S+ ± \S+\s+0\.89", result.stdout)
    rows = results_rows(out, "spex_subtypes")
    assert {(r["model"], r["metric"]) for r in rows} >= {
        ("5-NN", "accuracy"), ("CNN", "accuracy"), ("1-NN", "MAE [subtypes]"),
        ("CNN regressor", "within ±1 subtype")}


def test_stellar_mk_types_example(shared_data, tmp_path):
    needs(shared_data, "miles", "sdss_templates")
    out = tmp_path / "out"
    result = run_example("plot_stellar_mk_types.py", out, shared_data)
    check_run(result, out, ["mk_class_means.png", "mk_templates_confusion_matrix.png"])
    # MILES -> SDSS templates, 7 classes (chance about 0.2)
    match = re.search(r"MK class, SVM \(tuned\): MILES CV (\S+) ± \S+, MILES -> templates (\S+)",
                      result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) > 0.5 and float(match.group(2)) > 0.5
    rows = results_rows(out, "stellar_mk_types")
    assert [r["score"] for r in rows if r["task"] == "MILES -> SDSS templates, MK class"
            and r["model"] == "SVM (tuned)"] == [match.group(2)]


def test_spitzer_irs_example(shared_data, tmp_path):
    needs(shared_data, "cassis_irs")
    out = tmp_path / "out"
    result = run_example("plot_spitzer_irs.py", out, shared_data)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert (out / "irs_local_spectra.png").read_bytes()[:8] == PNG_MAGIC
    assert re.search(r"CASSIS grid: \d+ pixels, 5\.\d+-37\.\d+ µm", result.stdout)
    predictions = out / "predictions.csv"
    if "SKIPPED" in result.stdout:
        # offline: the labelled spectra are not in the data home, so no model
        # and no predictions -- and the example says so
        assert "network needed" in result.stdout
        assert "NOT written" in result.stdout
        assert not predictions.exists()
        [row] = results_rows(out, "spitzer_irs")
        assert row["score"] == "not run offline"
    else:
        lines = predictions.read_text().splitlines()
        assert lines[0].endswith("predicted_class,probability")
        assert all(0.0 <= float(row.rsplit(",", 1)[1]) <= 1.0 for row in lines[1:])


def test_smass2_svc_example(shared_data, tmp_path):
    needs(shared_data, "smass2")
    out = tmp_path / "out"
    result = run_example("plot_smass2_svc.py", out, shared_data)
    check_run(result, out, ["smass2_confusion_matrix.png"])
    match = re.search(r"nested accuracy: (\S+) ±", result.stdout)
    assert match and float(match.group(1)) > 0.6, result.stdout


def test_spex_mlt_example(tmp_path):
    # the built-in sample: no data home needed
    out = tmp_path / "out"
    result = run_example("plot_spex_mlt.py", out)
    check_run(result, out, ["spex_class_means.png", "spex_confusion_matrix.png"])
    assert re.search(r"accuracy: \S+ ± \S+ \(3 folds, split by object\)", result.stdout)


def test_spex_fusion_example(shared_data, tmp_path):
    needs(shared_data, "spex_prism")
    out = tmp_path / "out"
    result = run_example("plot_spex_fusion.py", out, shared_data)
    check_run(result, out, ["spex_fusion_scores.png"])
    # the catalogue columns alone (absolute magnitudes, proper motion) are well
    # above the 1/3 macro-F1 of guessing among the three gravity classes
    assert table_score(result.stdout, "catalogue", "only", "(gradient", "boosting)") > 0.45
    rows = results_rows(out, "spex_fusion")
    assert {r["model"] for r in rows} >= {
        "fused (CNN + MLP, attention)", "fused model, spectrum head",
        "fused model, tabular head", "spectrum only (CNN)"}
    assert re.search(r"fits\.gz\s+(FLD|INT|VL)-G\s+(FLD|INT|VL)-G", result.stdout)


def test_galaxy_morphology_example(shared_data, tmp_path):
    needs(shared_data, "galaxy_zoo1")
    out = tmp_path / "out"
    result = run_example("plot_galaxy_morphology.py", out, shared_data)
    check_run(result, out, ["galaxy_class_balance.png", "galaxy_confusion_matrix.png",
                            "galaxy_predictions.png"])
    rows = results_rows(out, "galaxy_morphology")
    assert {r["metric"] for r in rows} == {"accuracy (6)", "macro-F1 (6)", "accuracy (3)",
                                          "macro-F1 (3)"}
    # 3 epochs on 240 images: only that it ran and scored, not how well
    assert 0 < table_score(result.stdout, "accuracy", "(3)") <= 1


def test_examples_keep_existing_outputs_without_force(shared_data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    figure = out / "smass2_confusion_matrix.png"
    figure.write_bytes(b"the user's own file")
    result = run_example("plot_smass2_svc.py", out, shared_data)
    assert result.returncode != 0
    assert "--force" in result.stderr and str(figure) in result.stderr
    assert figure.read_bytes() == b"the user's own file"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("plot_*.py")))
def test_example_has_docstring_and_options(name):
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    title, underline = source.split('"""')[1].strip().splitlines()[:2]
    assert title and set(underline) == {"="} and len(underline) >= len(title)
    # the options and atomic writes come from examples/_common.py, or are spelled out
    if "example_arguments(" not in source:
        for option in ("--quick", "--output-dir", "--force"):
            assert option in source, f"{name} has no {option} option"
    assert "atomic_write" in source or "save_figure" in source


# --- examples/results_table.py: the README's results table ---------------------------

def _load_results_table():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import _common
        import results_table
    finally:
        sys.path.remove(str(EXAMPLES))
    return _common, results_table


def _results_and_readme(tmp_path, *, quick):
    """A folder of results files (one row per experiment) and a README to fill."""
    _common, results_table = _load_results_table()
    out = tmp_path / "out"
    out.mkdir()
    args = type("Args", (), {"output_dir": out, "quick": quick, "force": False})()
    for i, experiment in enumerate(results_table.EXPERIMENTS):
        results = _common.Results(experiment, args)
        results.add(f"task {i}", "SVM | tuned", "accuracy", f"0.9{i}0 ± 0.010",
                    baseline="0.8", setup="5-fold")
        results.write()
    readme = tmp_path / "README.md"
    readme.write_text(README_TEXT, encoding="utf-8")
    return out, readme


README_TEXT = ("# title\n\nintro\n\n<!-- results-table:start -->\nold table\n"
               "<!-- results-table:end -->\n\n## after\n")


def test_results_table_replaces_only_the_marked_section(tmp_path):
    _, results_table = _load_results_table()
    out, readme = _results_and_readme(tmp_path, quick=False)
    assert results_table.main(["--output-dir", str(out), "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text.startswith("# title\n\nintro\n\n<!-- results-table:start -->\n| experiment")
    assert text.endswith("<!-- results-table:end -->\n\n## after\n")
    rows = [line for line in text.splitlines() if line.startswith("| plot_")]
    assert [row.split(" | ")[0] for row in rows] == [
        f"| {script}" for script in results_table.EXPERIMENTS.values()]
    assert r"SVM \| tuned" in rows[0] and "0.900 ± 0.010" in rows[0]


def test_results_table_refuses_quick_results_and_keeps_readme(tmp_path):
    _, results_table = _load_results_table()
    out, readme = _results_and_readme(tmp_path, quick=True)
    with pytest.raises(SystemExit, match="--quick run"):
        results_table.main(["--output-dir", str(out), "--readme", str(readme)])
    assert readme.read_text(encoding="utf-8") == README_TEXT
    results_table.main(["--output-dir", str(out), "--readme", str(readme), "--allow-quick"])
    assert readme.read_text(encoding="utf-8").count("(QUICK)") == len(results_table.EXPERIMENTS)


def test_results_table_names_the_missing_results_file(tmp_path):
    _, results_table = _load_results_table()
    readme = tmp_path / "README.md"
    readme.write_text(README_TEXT, encoding="utf-8")
    with pytest.raises(SystemExit, match=r"asteroid_taxonomy_results\.csv is missing"):
        results_table.main(["--output-dir", str(tmp_path), "--readme", str(readme)])
    assert readme.read_text(encoding="utf-8") == README_TEXT


def test_project_results_page_has_the_results_markers():
    _, results_table = _load_results_table()
    text = (EXAMPLES.parent / "docs" / "results.md").read_text(encoding="utf-8")
    assert text.count(results_table.START) == 1 and text.count(results_table.END) == 1


TRANSFER_README = README_TEXT + ("\n<!-- transfer-table:start -->\nold transfer\n"
                                 "<!-- transfer-table:end -->\n")


def _transfer_csv(path, rows, *, quick=None):
    import csv

    _, results_table = _load_results_table()
    columns = list(results_table.TRANSFER_COLUMNS) + ([] if quick is None else ["quick"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for task, setup, part, transfer in rows:
            row = dict(task=task, setup=setup, model="svc", part=part, n_test="10",
                       transfer=transfer, macro_f1="0.5", in_survey="0.9", ceiling="0.936",
                       ceiling_n="296", baseline="0.761", target=">= 0.85")
            if quick is not None:
                row["quick"] = str(quick)
            writer.writerow(row)
    return path


def test_transfer_table_merges_summary_rows_of_several_runs(tmp_path):
    _, results_table = _load_results_table()
    readme = tmp_path / "README.md"
    readme.write_text(TRANSFER_README, encoding="utf-8")
    first = _transfer_csv(tmp_path / "a.csv", [
        ("A -> B", "points", "", "0.8000"),
        ("LOSO", "all", "mean over 3", "0.7000"),
        ("LOSO", "all", "survey 1", "0.6000")])  # a per-part row: not in the table
    second = _transfer_csv(tmp_path / "b.csv", [("A -> B", "points", "", "0.8500")],
                           quick=False)
    results_table.main(["--transfer", str(first), str(second), "--readme", str(readme)])
    text = readme.read_text(encoding="utf-8")
    assert "old transfer" not in text and "old table" in text  # only the transfer part
    rows = [line for line in text.splitlines() if line.startswith("| A -> B")
            or line.startswith("| LOSO")]
    assert len(rows) == 2
    assert "| 0.850 |" in rows[0]  # the later file's row replaces the earlier one
    assert "0.936 (296)" in rows[0] and "| 0.700 |" in rows[1]


def test_transfer_table_refuses_quick_runs_and_keeps_the_page(tmp_path):
    _, results_table = _load_results_table()
    readme = tmp_path / "README.md"
    readme.write_text(TRANSFER_README, encoding="utf-8")
    quick = _transfer_csv(tmp_path / "q.csv", [("A -> B", "points", "", "0.9")], quick=True)
    with pytest.raises(SystemExit, match="--quick run"):
        results_table.main(["--transfer", str(quick), "--readme", str(readme)])
    assert readme.read_text(encoding="utf-8") == TRANSFER_README


def test_project_results_page_has_the_transfer_markers():
    _, results_table = _load_results_table()
    text = (EXAMPLES.parent / "docs" / "results.md").read_text(encoding="utf-8")
    assert all(text.count(m) == 1 for m in results_table.TRANSFER_MARKERS)
