import numpy as np
import pytest

from msae.experiments import reporting
from msae.experiments.curves import converged_at
from msae.experiments.paper import DATASETS, MODELS, paper_values
from msae.experiments.spec import RunSpec
from msae.experiments.store import ResultStore
from msae.report import _anchor, write_report

ACCURACIES = {"ae": [0.90, 0.91], "lr21-msae": [0.90, 0.90], "raw": [0.95, 0.95]}


@pytest.fixture
def store_dir(tmp_path):
    with ResultStore(tmp_path) as store:
        for model, values in ACCURACIES.items():
            for seed, acc in enumerate(values):
                spec = RunSpec(
                    "table3", "usps", model, {"n_components": 400, "max_iter": 100}, seed
                )
                outcome = {
                    "status": "ok",
                    "metrics": {"accuracy": acc, "train_time": 1.0, "test_time": 0.1},
                }
                store.write(spec, outcome, {"version": "0.1.0", "git_commit": None})
    return tmp_path


def test_table3_beside_the_paper_in_standard_deviations(store_dir):
    text = write_report(store_dir).read_text()
    assert "90.50 ± 0.71" in text  # ours, AE on USPS
    assert "89.87 ± 0.25" in text  # the paper's
    assert "▲ +0.63 (2.5 sd)" in text  # (90.50 - 89.87) / 0.25
    assert "▼ -4.99 (27.7 sd) *below floor*" in text  # LR21-MSAE under the raw softmax
    assert "**90.50 ± 0.71**" in text  # the best auto-encoder, not the floor
    assert (store_dir / "figures" / "table3.png").exists()
    assert "Sensitivity" not in text and "n_components" in text


def test_report_needs_a_store(tmp_path):
    with pytest.raises(FileNotFoundError, match="msae reproduce"):
        write_report(tmp_path)


def test_an_unknown_experiment_is_an_error_and_the_report_is_kept(store_dir):
    before = write_report(store_dir).read_text()
    with pytest.raises(ValueError, match="unknown experiment tabel3; the experiments are table3"):
        write_report(store_dir, ["tabel3"])
    assert (store_dir / "report.md").read_text() == before
    assert "Table 3" in write_report(store_dir, ["table3"]).read_text()


def test_paper_values_are_complete_and_cited():
    values = paper_values()
    assert "10.1007/s13042-022-01632-5" in values["source"]["citation"]
    table3 = values["table3"]["values"]
    assert set(table3) == set(DATASETS)
    assert all(set(row) == set(MODELS) for row in table3.values())
    assert table3["mnist"]["lr21-msae"] == [98.86, 0.11]
    table4 = values["table4"]["values"]
    assert set(table4) == {"fashion-mnist", "cifar10", "usps"}
    assert table4["fashion-mnist"]["0.1"] == {"kl": 0.0987, "js": 0.0969, "wasserstein": 0.0999}
    assert set(values["hyperparameters"]["values"]) == set(DATASETS) - {"cifar10"}


def test_sensitivity_counts_the_cells_near_the_best(tmp_path):
    # 3 x 2 grid, accuracy (%) 90, 89.5 / 89.2, 80 / 50, 40: three cells within 1 point of 90.
    grid = {(1e-5, 0.1): 0.90, (1e-5, 1.0): 0.895, (1e-3, 0.1): 0.892, (1e-3, 1.0): 0.80}
    grid |= {(1e-1, 0.1): 0.50, (1e-1, 1.0): 0.40}
    with ResultStore(tmp_path) as store:
        for (lam, beta), acc in grid.items():
            spec = RunSpec("sensitivity", "usps", "lr21-msae", {"lam": lam, "beta": beta}, 0)
            outcome = {"status": "ok", "metrics": {"accuracy": acc, "train_time": 1.0}}
            store.write(spec, outcome, {"version": "0.1.0", "git_commit": None})
    text = write_report(tmp_path).read_text()
    assert "λ=1e-05, β=1e-01" in text  # the best cell
    assert "3/6 cells; λ up to 1e-03, β up to 1e+00 | 6/100 |" in text  # a part of the grid
    assert (tmp_path / "figures" / "fig06_sensitivity.png").exists()


def _sensitivity_figure(tmp_path, monkeypatch, grid: dict):
    """The heat map that the report draws of ``grid`` ({(λ, β): accuracy}, one run each)."""
    with ResultStore(tmp_path) as store:
        for (lam, beta), acc in grid.items():
            spec = RunSpec("sensitivity", "usps", "lr21-msae", {"lam": lam, "beta": beta}, 0)
            store.write(spec, {"status": "ok", "metrics": {"accuracy": acc}}, {})
    figures = []
    save = reporting.save
    monkeypatch.setattr(reporting, "save", lambda fig, *a: figures.append(fig) or save(fig, *a))
    write_report(tmp_path)
    (fig,) = figures
    return fig


def test_a_sensitivity_cell_not_run_says_so(tmp_path, monkeypatch):
    # A sub-grid with a column added for some rows only: its empty cells are labelled.
    grid = {(1e-5, 0.1): 0.90, (1e-5, 1.0): 0.895, (1e-3, 0.1): 0.892}
    fig = _sensitivity_figure(tmp_path, monkeypatch, grid)
    cells = sorted(t.get_text() for t in fig.axes[0].texts)
    assert cells == ["89.2", "89.5", "90.0", "not run"]


def test_a_grid_run_in_part_shows_its_gaps_at_even_spacing(tmp_path, monkeypatch):
    """λ = 1e-7, 1e-5, 1e-4 are drawn as four rows (1e-6 not run), so that equal distances are
    equal ratios; β = 1e-7, 1e-4, 1e-1 keep their common step of three decades."""
    grid = {(lam, beta): 0.9 for lam in (1e-7, 1e-5, 1e-4) for beta in (1e-7, 1e-4, 1e-1)}
    fig = _sensitivity_figure(tmp_path, monkeypatch, grid)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1e-07", "1e-06", "1e-05", "1e-04"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1e-07", "1e-04", "1e-01"]
    row_of_1e6 = [t.get_text() for t in ax.texts if round(t.get_position()[1]) == 1]
    assert row_of_1e6 == ["not run"] * 3
    assert sum(t.get_text() == "90.0" for t in ax.texts) == 9


def test_the_paper_grid_count_leaves_out_cells_off_it(tmp_path):
    """A cell at λ = 3e-5 is not one of the paper's 100: it is not counted as one."""
    with ResultStore(tmp_path) as store:
        for lam in (1e-7, 3e-5, 1e2):
            spec = RunSpec("sensitivity", "usps", "lr21-msae", {"lam": lam, "beta": 1e-7}, 0)
            store.write(spec, {"status": "ok", "metrics": {"accuracy": 0.5}}, {})
    assert "| 2/100 |" in write_report(tmp_path).read_text()


def test_tune_lists_grid_points_in_numeric_order(tmp_path):
    # As strings, "1e-06" would sort after "0.01"; the table must go by value.
    alphas = [1e-2, 1e-6, 1e-4]
    with ResultStore(tmp_path) as store:
        for alpha in alphas:
            params = {
                "classifier_alpha": alpha,
                "validation": 0.2,
                "grid_keys": ["classifier_alpha"],
            }
            spec = RunSpec("tune", "usps", "ae", params, 0)
            outcome = {"status": "ok", "metrics": {"accuracy": 0.9 + alpha, "train_time": 1.0}}
            store.write(spec, outcome, {"version": "0.1.0", "git_commit": None})
    text = write_report(tmp_path).read_text()
    rows = [line for line in text.splitlines() if line.startswith("| classifier_alpha=")]
    assert [row.split(" |")[0] for row in rows] == [
        "| classifier_alpha=1e-06",
        "| classifier_alpha=0.0001",
        "| classifier_alpha=0.01",
    ]
    assert "**91.00 ± 0.00**" in text  # the best, 1e-2, in bold


def test_table3_says_when_a_cell_has_fewer_seeds(store_dir):
    # A dataset part-way through its seeds: one run of AE on MNIST beside USPS's two per model.
    with ResultStore(store_dir) as store:
        spec = RunSpec("table3", "mnist", "ae", {"n_components": 500, "max_iter": 500}, 0)
        outcome = {
            "status": "ok",
            "metrics": {"accuracy": 0.95, "train_time": 1.0, "test_time": 0.1},
        }
        store.write(spec, outcome, {"version": "0.1.0", "git_commit": None})
    text = write_report(store_dir).read_text()
    assert "mean ± std over 1/2 seeds" in text
    assert "| **95.00** (1 seed) |" in text  # no "± 0.00" for a single run
    assert "**90.50 ± 0.71** |" in text  # full cells unchanged


def test_validation_runs_are_marked_as_such(store_dir):
    # Accuracies on a validation split must not read as test accuracies beside the paper's.
    assert "Validation runs" not in write_report(store_dir).read_text()
    with ResultStore(store_dir) as store:
        params = {"n_components": 400, "max_iter": 300, "validation": 0.2, "n_checkpoints": 2}
        spec = RunSpec("iterations", "usps", "ae", params, 0)
        metrics = {"accuracy": 0.9, "train_time": 1.0, "test_time": 0.1}
        metrics["curve"] = {"iteration": [150, 300], "accuracy": [0.91, 0.9]}
        store.write(spec, {"status": "ok", "metrics": metrics}, {"version": "0.1.0"})
    text = write_report(store_dir).read_text()
    table3, iterations = text.split("## Fig. 7")
    assert "Validation runs" not in table3
    assert "stratified 20% of the training rows, not on the test set" in iterations


def test_subsampled_runs_say_how_many_rows(store_dir):
    assert "Reduced runs" not in write_report(store_dir).read_text()
    with ResultStore(store_dir) as store:
        for lam, n_train in ((1e-5, 10000), (1e-3, 600)):
            params = {"n_components": 500, "lam": lam, "beta": 0.1, "n_train": n_train}
            outcome = {"status": "ok", "metrics": {"accuracy": 0.95, "train_time": 1.0}}
            store.write(RunSpec("sensitivity", "mnist", "lr21-msae", params, 0), outcome, {})
    table3, sensitivity = write_report(store_dir).read_text().split("## Fig. 6")
    assert "Reduced runs" not in table3
    assert "**Reduced runs** (`--quick`, or `n_train` / `n_test`): trained on 600 / 10000 " in (
        sensitivity
    )
    assert "tested on" not in sensitivity  # the test set was whole


def test_the_settings_table_lists_values_in_order(store_dir):
    """β's of a grid read 1e-07, 0.1, 10 (by value, not as text: 0.1, 10.0, 1e-07), and a run
    on the whole split says so rather than n_train None."""
    with ResultStore(store_dir) as store:
        for beta in (0.1, 10.0, 1e-7):
            params = {"n_components": 500, "lam": 1e-5, "beta": beta, "max_iter": 500}
            outcome = {"status": "ok", "metrics": {"accuracy": 0.95, "train_time": 1.0}}
            store.write(RunSpec("sensitivity", "mnist", "lr21-msae", params, 0), outcome, {})
    sensitivity = write_report(store_dir).read_text().split("## Fig. 6")[1]
    row = next(line for line in sensitivity.splitlines() if line.startswith("| MNIST | 500 |"))
    assert row == "| MNIST | 500 | 1e-05 | 1e-07, 0.1, 10 | - | 500 | - | all | all |"


def test_fine_tuned_runs_are_marked_with_their_lengths(store_dir):
    # Fine-tuning is not the paper's pipeline: the report says which models had how much.
    assert "Fine-tuned runs" not in write_report(store_dir).read_text()
    with ResultStore(store_dir) as store:
        for model, k in (("lr21-msae", 25), ("sae", 50), ("raw", 25)):
            params = {"n_components": 400, "max_iter": 100, "fine_tune_iter": k}
            outcome = {"status": "ok", "metrics": {"accuracy": 0.95, "train_time": 1.0}}
            store.write(RunSpec("table3", "usps", model, params, 0), outcome, {"version": "0"})
    text = write_report(store_dir).read_text()
    assert "**Fine-tuned runs**" in text
    assert "(L-BFGS iterations: LR21-MSAE 25, SAE 50)" in text  # raw has no encoder


def test_runs_with_inexact_products_are_marked(store_dir):
    assert "Faster products" not in write_report(store_dir).read_text()
    with ResultStore(store_dir) as store:
        params = {"n_components": 400, "max_iter": 100, "matmul_precision": "bf16"}
        outcome = {"status": "ok", "metrics": {"accuracy": 0.95, "train_time": 1.0}}
        store.write(RunSpec("table3", "usps", "lr21-msae", params, 0), outcome, {"version": "0"})
    assert "**Faster products** (`matmul_precision` bf16)" in write_report(store_dir).read_text()


def test_iterations_with_classifier_alphas_give_the_best_point_per_l2(tmp_path):
    curves = {  # two seeds; L2 1e-2 peaks at iteration 20, 1e-6 at the last one
        0: {"0.01": [0.90, 0.95, 0.91], "1e-06": [0.80, 0.85, 0.93]},
        1: {"0.01": [0.92, 0.97, 0.93], "1e-06": [0.82, 0.87, 0.95]},
    }
    with ResultStore(tmp_path) as store:
        for seed, by_alpha in curves.items():
            params = {"n_checkpoints": 3, "classifier_alphas": [1e-6, 1e-2], "max_iter": 30}
            curve = {"iteration": [10, 20, 30], "accuracy": by_alpha["0.01"]}
            metrics = {"accuracy": 0.9, "train_time": 1.0, "curve": curve}
            metrics["curve"]["accuracy_by_alpha"] = by_alpha
            spec = RunSpec("iterations", "usps", "lr21-msae", params, seed)
            store.write(spec, {"status": "ok", "metrics": metrics}, {"version": "0.1.0"})
    text = write_report(tmp_path).read_text()
    assert "| USPS | LR21-MSAE | 1e-06 | 94.00 | 30 | 94.00 |" in text  # sorted by value
    assert "| USPS | LR21-MSAE | 0.01 | **96.00** | 20 | 92.00 |" in text  # the best L2
    assert text.index("| 1e-06 |") < text.index("| 0.01 |")


def test_iterations_with_fine_tune_lengths_give_the_mean_after_each_length(tmp_path):
    scans = {0: (0.90, [0.93, 0.92]), 1: (0.92, [0.95, 0.94])}  # seed: (no tuning, 10, 40)
    with ResultStore(tmp_path) as store:
        for seed, (plain, tuned) in scans.items():
            params = {"n_checkpoints": 1, "fine_tune_lengths": [10, 40], "max_iter": 30}
            metrics = {"accuracy": plain, "train_time": 1.0}
            metrics["curve"] = {"iteration": [30], "accuracy": [plain]}
            metrics["fine_tune"] = {"iteration": [10, 40], "accuracy": tuned}
            spec = RunSpec("iterations", "usps", "sae", params, seed)
            store.write(spec, {"status": "ok", "metrics": metrics}, {"version": "0.1.0"})
    text = write_report(tmp_path).read_text()
    assert "| dataset | model | no fine-tuning | 10 iterations | 40 iterations |" in text
    assert "| USPS | SAE | 91.00 | **94.00** | 93.00 |" in text


def test_a_table_of_the_floor_alone_has_no_empty_comparison(tmp_path):
    # One raw-softmax run (the floor of a study at reduced size): counted in the singular,
    # and no table of differences with nothing in it.
    with ResultStore(tmp_path) as store:
        spec = RunSpec("table3", "mnist", "raw", {"n_train": 10000}, 0)
        store.write(spec, {"status": "ok", "metrics": {"accuracy": 0.9081}}, {})
    text = write_report(tmp_path).read_text()
    assert "`msae reproduce table3`, 1 run with:" in text
    assert "mean ± std over 1 seed; the best" in text
    assert "| Softmax (raw) | 90.81 |" in text
    assert "Ours minus the paper" not in text
    assert "No auto-encoder ran here" in text
    assert not (tmp_path / "figures" / "table3.png").exists()  # it would show only the floor


def test_heat_map_colours_span_at_least_ten_points(tmp_path, monkeypatch):
    """Two cells 0.02 points apart are not drawn as far apart as 18 % and 94 %."""
    fig = _sensitivity_figure(tmp_path, monkeypatch, {(1e-7, 0.1): 0.9637, (1e-5, 0.1): 0.9635})
    low, high = fig.axes[0].images[0].get_clim()
    assert high == pytest.approx(96.37) and low == pytest.approx(86.37)


def test_header_names_the_commits_that_made_the_runs(tmp_path):
    """A few commits are listed in the order of their first run; many are counted."""

    def store(commits):
        with ResultStore(tmp_path / str(len(commits))) as results:
            for seed, commit in enumerate(commits):
                spec = RunSpec("table3", "usps", "raw", {}, seed)
                outcome = {"status": "ok", "metrics": {"accuracy": 0.9}}
                results.write(spec, outcome, {"version": "0.1.0", "git_commit": commit})
        return write_report(tmp_path / str(len(commits))).read_text()

    few = store(["bbbbbbbbbbbb", None, "aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    assert "4 runs; msae 0.1.0 (bbbbbbbbbb, no git commit, aaaaaaaaaa); each run's" in few
    many = store([f"{k}" * 12 for k in "abcde"])
    assert "msae 0.1.0 (5 commits, the first aaaaaaaaaa, the last eeeeeeeeee);" in many


@pytest.mark.parametrize(
    ("accuracy", "expected"),
    [
        ([94.5, 92.1, 92.4, 93.8, 94.1], 20),  # starts near the end, dips, comes back
        ([80.0, 90.0, 93.9, 94.2, 94.0], 15),  # rises and stays
        ([94.0, 94.2, 93.9, 94.1, 94.0], 5),  # never leaves
        ([90.0, 94.0, 94.0, 94.0, 92.0], 25),  # falls at the end: only the last point
    ],
)
def test_converged_at_is_where_the_curve_stays_near_its_end(accuracy, expected):
    iterations = np.array([5, 10, 15, 20, 25])
    assert converged_at(iterations, np.array(accuracy)) == expected
    assert converged_at(np.array([], dtype=int), np.array([])) is None


def test_contents_links_to_each_section(store_dir):
    assert "Contents:" not in write_report(store_dir).read_text()  # one section: no contents
    with ResultStore(store_dir) as store:
        spec = RunSpec("timing", "usps", "ae", {"n_components": 400}, 0)
        outcome = {
            "status": "ok",
            "metrics": {"accuracy": 0.9, "train_time": 2.0, "test_time": 0.1},
        }
        store.write(spec, outcome, {"version": "0.1.0", "git_commit": None})
    text = write_report(store_dir).read_text()
    contents = (
        "Contents: [Table 3: classification accuracy](#table-3-classification-accuracy) · "
        "[Fig. 16: computational time](#fig-16-computational-time)\n"
    )
    assert contents in text and "\n## Fig. 16: computational time\n" in text
    assert _anchor("Fig. 6: sensitivity to λ and β") == "fig-6-sensitivity-to-λ-and-β"
    assert _anchor("Figs. 11-13: per-class") == "figs-11-13-per-class"


def _timing_run(store: ResultStore, model: str, seed: int, machine: dict | None) -> None:
    spec = RunSpec("timing", "usps", model, {"n_components": 400}, seed)
    outcome = {"status": "ok", "metrics": {"accuracy": 0.9, "train_time": 2.0, "test_time": 0.1}}
    if machine is not None:
        outcome["machine"] = machine
    store.write(spec, outcome, {"version": "0.1.0", "git_commit": None, "workers": 1})


def test_the_timings_say_where_they_were_measured(tmp_path):
    """The processor and thread count the runs recorded; a warning where they differ, and the
    runs stored before msae recorded them counted as such."""
    xeon = {"host": "a", "cpu": "Xeon", "threads": 1}
    with ResultStore(tmp_path) as store:
        _timing_run(store, "ae", 0, xeon)
        _timing_run(store, "sae", 0, xeon)
    text = write_report(tmp_path).read_text()
    assert "Measured on Xeon, 1 torch thread per run (2 runs)." in text
    assert "not comparable" not in text
    with ResultStore(tmp_path) as store:
        _timing_run(store, "ae", 1, {"host": "b", "cpu": "EPYC", "threads": 2, "gpu": "H200"})
        _timing_run(store, "ae", 2, None)
    text = write_report(tmp_path).read_text()
    assert (
        "Measured on Xeon, 1 torch thread per run (2 runs); EPYC and H200, 2 torch threads per "
        "run (1 run); not recorded (1 run). **The times come from different settings and are "
        "not comparable.**"
    ) in text
    with ResultStore(tmp_path) as store:
        assert {r.env.get("host") for r in store.rows()} == {"a", "b", None}
