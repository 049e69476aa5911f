import json
import re
from itertools import pairwise

import pytest

from msae.experiments import config
from msae.experiments.paper import paper_values
from msae.experiments.sensitivity import coarse_first
from msae.experiments.sensitivity import expand as expand_sensitivity
from msae.experiments.spec import RunSpec
from msae.experiments.sweep import experiment_config, plan
from msae.experiments.tune import expand as expand_tune


def test_merge_is_deep_and_does_not_mutate():
    base = {"a": {"x": 1, "y": 2}, "b": [1]}
    out = config.merge(base, {"a": {"y": 3}, "b": [2]})
    assert out == {"a": {"x": 1, "y": 3}, "b": [2]}
    assert base == {"a": {"x": 1, "y": 2}, "b": [1]}


def test_parse_assignments_reads_json_values_and_dotted_keys():
    layer = config.parse_assignments(["hyper.usps.lam=1e-4", 'datasets=["usps"]', "solver=adam"])
    assert layer == {"hyper": {"usps": {"lam": 1e-4}}, "datasets": ["usps"], "solver": "adam"}
    with pytest.raises(config.ConfigError, match="KEY=VALUE"):
        config.parse_assignments(["nokey"])
    with pytest.raises(config.ConfigError, match="not a table"):
        config.parse_assignments(["repeats=3", "repeats.x=1"])


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"repeat": 3}, "unknown config key 'repeat'"),
        ({"hyper": {"mnist": {"max_iterz": 180}}}, "unknown run parameter 'hyper.mnist.max_iterz'"),
        ({"hyper": {"mnsit": {"lam": 1e-4}}}, "unknown dataset 'hyper.mnsit'"),
        ({"base": {"lamda": 1e-4}}, "unknown run parameter 'base.lamda'"),
        ({"override": {"n_component": 8}}, "unknown run parameter 'override.n_component'"),
        ({"grid": {"clasifier_alpha": [1e-4]}}, "unknown run parameter 'grid.clasifier_alpha'"),
        ({"base": 3}, "'base' must be a table"),
        ({"hyper": {"usps": 0.5}}, "'hyper.usps' must be a table"),
        ({"repeats": "abc"}, "'repeats' must be an integer, got 'abc'"),
        ({"repeats": True}, "'repeats' must be an integer"),
        ({"lams": 1e-3}, "'lams' must be a list, got 0.001"),
        ({"curve_rho": "x"}, "'curve_rho' must be a number"),
        ({"models": ["ae", "aee"]}, "unknown model 'aee'"),
    ],
)
def test_a_key_no_experiment_reads_is_an_error_not_a_silent_new_run(layer, message):
    # Unchecked, a misspelt run parameter would be ignored by the run and still change its key.
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        experiment_config("table3", False, layer)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"override": {"max_iter": -5}}, "digits/ae: The 'max_iter' parameter of MSAEClassifier"),
        ({"override": {"solver": "sgd"}}, "digits/ae: The 'solver' parameter"),
        ({"base": {"n_train": -3}}, "The 'n_train' parameter of the run"),
        ({"base": {"validation": 1.5}}, "The 'validation' parameter of the run"),
        ({"models": ["raw"], "override": {"classifier_alpha": -1}}, "digits/raw: The 'classif"),
        ({"override": {"fine_tune_iter": -1}}, "digits/ae: The 'fine_tune_iter' parameter"),
    ],
)
def test_a_bad_run_parameter_stops_the_sweep_before_its_first_run(layer, message):
    cfg = experiment_config("table3", False, {"datasets": ["digits"], "models": ["ae"]}, layer)
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        plan("table3", cfg)
    assert len(plan("table3", experiment_config("table3", False, {"datasets": ["digits"]}))) > 0


@pytest.mark.parametrize("experiment", ["iterations", "sparsity"])
def test_fine_tuning_is_refused_where_a_run_draws_an_accuracy_curve(experiment):
    # Its checkpoints would score unsupervised features, its last point fine-tuned ones.
    layer = {"datasets": ["digits"], "models": ["lr21-msae"], "override": {"fine_tune_iter": 5}}
    cfg = experiment_config(experiment, False, layer)
    with pytest.raises(config.ConfigError, match="fine_tune_iter cannot be used with an accur"):
        plan(experiment, cfg)
    (spec,) = plan("table3", experiment_config("table3", False, layer | {"repeats": 1}))
    assert spec.params["fine_tune_iter"] == 5


def test_tune_without_a_validation_split_is_a_config_error():
    cfg = experiment_config("tune", False, {"datasets": ["digits"], "base": {"validation": None}})
    with pytest.raises(config.ConfigError, match=r"set base\.validation"):
        expand_tune(cfg)


def test_keys_of_any_experiment_are_accepted_so_one_file_serves_them_all():
    layer = {"lams": [1e-5], "n_checkpoints": 4, "curve_rho": 1, "models": ["raw", "vlsae"]}
    layer |= {"base": {"bins": 10, "validation": 0.2, "n_train": None}}
    cfg = experiment_config("table3", False, layer)
    assert config.dataset_params(cfg, "usps")["bins"] == 10
    weights = experiment_config("weights", False, {"hyper": {"digits": {"bins": 5}}})
    assert config.dataset_params(weights, "digits")["bins"] == 5


def test_defaults_are_the_papers_hyperparameters():
    cfg = experiment_config("table3")
    published = paper_values()["hyperparameters"]["values"]
    assert config.dataset_params(cfg, "mnist") | published["mnist"] == config.dataset_params(
        cfg, "mnist"
    )
    ecoli = config.dataset_params(cfg, "ecoli")
    assert (ecoli["lam"], ecoli["beta"], ecoli["max_iter"], ecoli["n_components"]) == (
        1e-6,
        1e-4,
        20,
        20,
    )
    assert config.dataset_params(cfg, "cifar10")["n_components"] == config.CIFAR10["n_components"]
    assert cfg["repeats"] == 10 and len(cfg["datasets"]) == 7


def test_quick_caps_and_explicit_flags_lift_them():
    cfg = experiment_config("iterations", True)
    assert config.dataset_params(cfg, "usps")["max_iter"] == config.QUICK["caps"]["max_iter"]
    lifted = experiment_config(
        "iterations", True, {"override": {"max_iter": 40}, "caps": {"max_iter": None}}
    )
    assert config.dataset_params(lifted, "usps")["max_iter"] == 40


def test_config_files_json_and_toml(tmp_path):
    (tmp_path / "c.toml").write_text("repeats = 3\n[hyper.usps]\nlam = 0.5\n")
    (tmp_path / "c.json").write_text(json.dumps({"repeats": 4}))
    cfg = experiment_config("table3", False, config.load_file(tmp_path / "c.toml"))
    assert cfg["repeats"] == 3 and config.dataset_params(cfg, "usps")["lam"] == 0.5
    assert config.load_file(tmp_path / "c.json") == {"repeats": 4}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.json", None, "cannot read config file"),
        ("c.json", '{"repeats": ', "is not valid JSON"),
        ("c.toml", "repeats = = 3", "is not valid TOML"),
        ("c.json", b"\xff\xfe{}", "is not valid JSON"),
        ("c.json", "[1, 2]", "expected a table of keys"),
    ],
)
def test_a_bad_config_file_is_named_in_the_error(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(config.ConfigError, match=message) as caught:
        config.load_file(path)
    assert str(path) in str(caught.value)


def test_expand_is_a_full_grid_with_datasets_slowest():
    cfg = experiment_config("sensitivity", False, {"datasets": ["usps", "isolet"], "repeats": 2})
    specs = config.expand("sensitivity", cfg, [{"lam": 1.0}, {"lam": 2.0}])
    assert len(specs) == 2 * 2 * 1 * 2
    assert [s.dataset for s in specs] == ["usps"] * 4 + ["isolet"] * 4
    assert len({s.key for s in specs}) == len(specs)


def test_coarse_first_orders_each_index_once_with_every_prefix_spread():
    assert coarse_first(10) == [0, 9, 4, 2, 6, 1, 3, 5, 7, 8]
    assert coarse_first(4) == [0, 3, 1, 2] and coarse_first(1) == [0] and coarse_first(0) == []
    for n in range(1, 40):
        order = coarse_first(n)
        assert sorted(order) == list(range(n)) and order[:2] == [0, n - 1][:n]
        # after the two ends, no gap between the indices taken is more than twice the widest
        # gap of an even spread of as many
        for k in range(2, n + 1):
            taken = sorted(order[:k])
            widest = max(b - a for a, b in pairwise(taken))
            assert widest <= 2 * -(-(n - 1) // (k - 1))


def test_the_sensitivity_grid_runs_as_nested_sub_grids():
    """A sweep stopped part-way has covered the whole (λ, β) range at a coarser step: the 4
    corners first, then the 3 x 3 grid with the middle values, then 4 x 4, ..."""
    grid = [10.0**e for e in range(-7, 3)]
    cfg = experiment_config("sensitivity", False, {"datasets": ["usps"], "repeats": 1})
    specs = expand_sensitivity({**cfg, "lams": grid[::-1], "betas": grid})  # any order given
    cells = [(s.params["lam"], s.params["beta"]) for s in specs]
    assert len(set(cells)) == 100 and set(cells) == {(a, b) for a in grid for b in grid}
    ends = {1e-7, 100.0}
    assert set(cells[:4]) == {(a, b) for a in ends for b in ends}
    assert set(cells[:9]) == {(a, b) for a in ends | {1e-3} for b in ends | {1e-3}}
    assert set(cells[:16]) == {(a, b) for a in ends | {1e-3, 1e-5} for b in ends | {1e-3, 1e-5}}


def test_run_key_ignores_where_a_run_executes():
    spec = RunSpec("table3", "usps", "ae", {"lam": 1e-5, "data_dir": "/a", "device": "cpu"}, 0)
    moved = RunSpec("table3", "usps", "ae", {"lam": 1e-5, "data_dir": "/b"}, 0)
    assert spec.key == moved.key
    assert spec.key != RunSpec("table3", "usps", "ae", {"lam": 1e-4}, 0).key
    assert spec.key != RunSpec("table3", "usps", "ae", {"lam": 1e-5}, 1).key


def test_an_integer_for_a_real_parameter_names_the_same_run_as_its_float():
    # --set 'lams=[10]' reads 10 as an integer; the default grid holds 10.0.
    layer = config.parse_assignments(["lams=[10]", "betas=[0.1]"])
    cfg = experiment_config("sensitivity", False, {"datasets": ["usps"], **layer})
    from_flag = expand_sensitivity(cfg)
    from_grid = expand_sensitivity({**cfg, "lams": [10.0]})
    assert from_flag[0].params["lam"] == 10.0 and isinstance(from_flag[0].params["lam"], float)
    assert [s.key for s in from_flag] == [s.key for s in from_grid]
    # Integer parameters stay integers, and the key still tells real values apart.
    spec = RunSpec("table3", "usps", "ae", {"lam": 1, "max_iter": 100, "beta": 0.5}, 0)
    assert spec.params == {"lam": 1.0, "max_iter": 100, "beta": 0.5}
    assert isinstance(spec.params["max_iter"], int)
    assert spec.key != RunSpec("table3", "usps", "ae", {"lam": 2, "max_iter": 100}, 0).key


def test_classifier_alphas_join_the_run_key_only_when_given():
    from msae.experiments.iterations import expand as expand_iterations

    layer = {"datasets": ["usps"], "models": ["ae"]}
    (plain,) = expand_iterations(experiment_config("iterations", False, layer))
    assert "classifier_alphas" not in plain.params  # the runs made before it keep their keys
    more = experiment_config("iterations", False, layer, {"classifier_alphas": [1e-2, 0, 1e-2]})
    (spec,) = expand_iterations(more)
    assert spec.params["classifier_alphas"] == [0.0, 1e-2] and spec.key != plain.key
    with pytest.raises(config.ConfigError, match="classifier_alphas must be numbers >= 0"):
        expand_iterations(experiment_config("iterations", False, {"classifier_alphas": [-1]}))


def test_fine_tune_lengths_join_the_run_key_only_when_given():
    from msae.experiments.iterations import expand as expand_iterations

    layer = {"datasets": ["usps"], "models": ["ae"]}
    (plain,) = expand_iterations(experiment_config("iterations", False, layer))
    assert "fine_tune_lengths" not in plain.params
    (spec,) = expand_iterations(
        experiment_config("iterations", False, layer, {"fine_tune_lengths": [50, 10, 50]})
    )
    assert spec.params["fine_tune_lengths"] == [10, 50] and spec.key != plain.key
    for bad in ([0], [2.5], [True]):
        with pytest.raises(config.ConfigError, match="fine_tune_lengths must be integers >= 1"):
            expand_iterations(experiment_config("iterations", False, {"fine_tune_lengths": bad}))
