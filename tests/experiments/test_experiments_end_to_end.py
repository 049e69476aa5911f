"""Every experiment end to end on tiny settings, then the report from its store."""

import pytest

from msae.experiments import EXPERIMENTS, ResultStore

# Models per experiment (fewer than the paper's seven, to stay fast) and the runs expected.
MODELS = {
    "table3": ("ae,lr21-msae,raw", 3),
    "sensitivity": ("lr21-msae", 4),  # 2 lambdas x 2 betas
    "iterations": ("ae,lr21-msae", 2),
    "hidden": ("ae,lr21-msae", 4),  # 2 hidden sizes
    "weights": ("ae,sae,lr21-msae", 3),
    "per-class": ("ae,lr21-msae", 2),
    "sparsity": ("lr21-msae", 3),  # 3 metrics x 1 rho
    "timing": ("ae,lr21-msae", 2),
    "tune": ("ae,raw", 4),  # 2 classifier alphas (--quick)
}
FIGURES = [
    "table3.png",
    "fig06_sensitivity.png",
    "fig07_iterations.png",
    "fig08_hidden.png",
    "fig09_10_weights.png",
    "fig11_12_per_class_digits.png",
    "fig13_confusion_digits.png",
    "fig14_sparsity_terms.png",
    "fig15_sparsity_curves.png",
    "fig16_timing.png",
]


@pytest.fixture(scope="module")
def results(tmp_path_factory, invoke, tiny_config):
    out = tmp_path_factory.mktemp("results")
    for name, (models, _) in MODELS.items():
        invoke(
            "reproduce", name, "--quick", "--config", tiny_config, "--models", models, "--out", out
        )
    invoke("report", "--out", out)
    return out


def test_every_experiment_is_covered():
    assert set(MODELS) == set(EXPERIMENTS)


def test_every_run_is_stored(results):
    with ResultStore(results) as store:
        assert store.rows(status="error") == []
        for name, (_, count) in MODELS.items():
            rows = store.rows(name)
            assert len(rows) == count, name
            assert all(r.train_time > 0 and r.test_time > 0 for r in rows)
            assert all(r.params["n_train"] == 200 and r.version for r in rows)
            # Resumable runs were given a checkpoint file; each was deleted when its run ended.
            resumable = EXPERIMENTS[name].resumable
            assert all(("checkpoint_dir" in r.params) == resumable for r in rows), name
    assert not (results / "checkpoints").exists()


def test_rerun_skips_finished_runs(results, invoke, tiny_config):
    out = invoke(
        "reproduce",
        "hidden",
        "--quick",
        "--config",
        tiny_config,
        "--models",
        "ae,lr21-msae",
        "--out",
        results,
    )
    assert "4 already done" in out.output


def test_metrics_of_each_experiment(results):
    with ResultStore(results) as store:
        (curve,) = [r.metrics["curve"] for r in store.rows("iterations") if r.model == "ae"]
        assert curve["iteration"] == [2, 3] and all(0 < a <= 1 for a in curve["accuracy"])
        for row in store.rows("sparsity"):
            assert 0 < row.metrics["mean_activation"] < 1 and row.params["sparsity"] in (
                "kl",
                "js",
                "wasserstein",
            )
        for row in store.rows("weights"):
            assert (
                row.metrics["shape"] == [8, 64]
                and sum(row.metrics["histogram"]["counts"]) == 8 * 64
            )
            assert 0 <= row.metrics["zero_rows"] <= 1 and 0 <= row.metrics["zero_cols"] <= 1
            # exactly zero (prunable) implies zero within the tolerance
            assert row.metrics["pruned_rows"] <= row.metrics["zero_rows"]
            assert row.metrics["pruned_cols"] <= row.metrics["zero_cols"]
        for row in store.rows("per-class"):
            assert sum(map(sum, row.metrics["confusion"])) == 150
        tune = store.rows("tune")
        assert all(r.params["validation"] == 0.2 for r in tune)
        assert sorted({r.params["classifier_alpha"] for r in tune}) == [1e-8, 1e-4]


def test_tune_report_lists_each_grid_point(results):
    text = (results / "report.md").read_text()
    assert "classifier_alpha=0.0001 |" in text and "classifier_alpha=1e-08 |" in text
    assert "stratified 20% of the training rows" in text


def test_report_has_every_section_and_figure(results):
    text = (results / "report.md").read_text()
    for experiment in EXPERIMENTS.values():
        assert f"## {experiment.title}" in text
    for name in FIGURES:
        assert (results / "figures" / name).stat().st_size > 10_000, name
        assert f"figures/{name}" in text
    assert "98.86 ± 0.11" in text  # the paper's LR21-MSAE on MNIST, beside ours
