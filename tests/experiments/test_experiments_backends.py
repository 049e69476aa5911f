"""The process pool and Ray give the runs the inline backend gives, into the same store."""

import pytest
import torch

from msae.experiments import ResultStore, execute, experiment_config, plan

LAYER = {
    "datasets": ["digits"],
    "models": ["ae", "raw"],
    "base": {"n_train": 150, "n_test": 100},
    "override": {"max_iter": 3, "n_components": 8},
}


def _run(out_dir, backend: str, workers: int) -> dict:
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    with ResultStore(out_dir) as store:
        summary = execute(specs, store, backend, workers)
        assert summary.failed == 0 and summary.total == 2
        return {r.key: r.metrics for r in store.rows()}


@pytest.fixture(scope="module")
def inline(tmp_path_factory):
    assert torch.get_num_threads() == 1  # as in the workers, so that the numbers match exactly
    return _run(tmp_path_factory.mktemp("inline"), "local", 1)


def test_process_pool(tmp_path, inline):
    assert _run(tmp_path, "local", 2) == inline


def test_ray(tmp_path, inline):
    pytest.importorskip("ray")
    assert _run(tmp_path, "ray", 2) == inline
    with ResultStore(tmp_path) as store:
        assert {r.env["backend"] for r in store.rows()} == {"ray"}
