"""Experiment configuration: layered dicts (defaults < --quick < config file < flags).

Every experiment config has these keys, plus its own (grids, for example):

``datasets``, ``models``
    what to run; ``repeats`` seeds starting at ``seed``.
``base``
    run parameters shared by every dataset (``rho``, ``solver``, ``n_train``, ...).
``hyper``
    per-dataset parameters over ``base`` (the paper's lambda, beta, iterations, hidden size).
``override``
    parameters over ``hyper`` for every dataset (the ``--lam``, ``--beta``, ... flags).
``caps``
    upper bounds on numeric parameters (``--quick`` caps iterations and hidden size).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msae.experiments.paper import paper_values
from msae.experiments.spec import RunSpec


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: nested dicts merge key by key, anything else in ``update`` replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# CIFAR-10 is the one dataset without published settings (see docs/experiments.md): the
# settings of the other large image sets, with lambda between MNIST's and Fashion-MNIST's.
CIFAR10 = {"lam": 1e-6, "beta": 0.1, "max_iter": 500, "n_components": 500}

COMMON: dict[str, Any] = {
    "datasets": [],
    "models": [],
    "repeats": 1,
    "seed": 0,
    "base": {
        # Fallback for datasets the paper does not cover (USPS's settings: small images).
        "lam": 1e-5,
        "beta": 0.1,
        "max_iter": 100,
        "n_components": 400,
        "rho": paper_values()["hyperparameters"]["rho"],
        "solver": "lbfgs",
        "n_train": None,  # None or 0: the whole training set; else a stratified subsample
        "n_test": None,
    },
    "hyper": {**paper_values()["hyperparameters"]["values"], "cifar10": CIFAR10},
    "override": {},
    "caps": {},
}

QUICK: dict[str, Any] = {
    "base": {"n_train": 600, "n_test": 600},
    "caps": {"max_iter": 25, "n_components": 64},
}


class ConfigError(ValueError):
    """A config layer that cannot be read: a malformed file or assignment, or a key that no
    experiment reads (a misspelt one would otherwise be ignored, and change the run keys)."""


# Counts a config may not set below a minimum (seeds are numpy's, which are not negative).
MINIMUM = {"repeats": 1, "seed": 0}

# The tables whose keys are run parameters (``hyper`` holds one such table per dataset);
# ``grid`` is the ``tune`` experiment's grid of run-parameter values.
PARAM_TABLES = ("base", "override", "caps", "grid")


def load_file(path: Path) -> dict[str, Any]:
    """A config layer from a ``.toml`` file (Python >= 3.11) or a JSON file."""
    kind = "TOML" if path.suffix == ".toml" else "JSON"
    if kind == "TOML" and sys.version_info < (3, 11):
        raise ConfigError(f"config file {path}: TOML needs Python >= 3.11; use JSON")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        text = data.decode()
        if kind == "JSON":
            layer = json.loads(text)
        elif sys.version_info >= (3, 11):  # checked above; this tells a type checker
            import tomllib

            layer = tomllib.loads(text)
    except ValueError as exc:  # the Unicode, TOML and JSON decode errors are ValueErrors
        raise ConfigError(f"config file {path} is not valid {kind}: {exc}") from exc
    if not isinstance(layer, dict):
        raise ConfigError(f"config file {path}: expected a table of keys, got {layer!r}")
    return layer


@dataclass(frozen=True)
class Schema:
    """What a config layer may hold: the top-level keys, each with a default value that gives
    its type; the run parameters; the datasets ``hyper`` may name; the models."""

    defaults: Mapping[str, Any]
    params: frozenset[str]
    datasets: frozenset[str]
    models: frozenset[str]


def _known(name: Any, where: str, names: Iterable[str], what: str) -> None:
    names = sorted(names)
    if name not in names:
        raise ConfigError(f"unknown {what} {where!r}; the {what}s are " + ", ".join(names))


def _check_type(value: Any, default: Any, where: str) -> None:
    """``value`` must have the type of ``default``: a list, a table, an integer, a number or a
    string (an integer passes as a number; a default of None allows anything)."""
    kinds = [
        (Mapping, "a table"),
        (list | tuple, "a list"),
        (bool, "true or false"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
    ]
    for kind, words in kinds:
        if isinstance(default, kind):
            ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
            if not ok or (isinstance(value, bool) and kind is not bool):
                raise ConfigError(f"config key {where!r} must be {words}, got {value!r}")
            return


def check_layer(layer: Mapping[str, Any], schema: Schema) -> None:
    """Raise ConfigError unless ``layer`` holds only what ``schema`` allows: its keys with the
    types of their defaults, run parameters in ``PARAM_TABLES`` and ``hyper.<dataset>``, and
    known datasets and models."""

    def check_params(value: Any, where: str) -> None:
        _check_type(value, {}, where)
        for key in value:
            _known(key, f"{where}.{key}", schema.params, "run parameter")

    for key, value in layer.items():
        _known(key, key, schema.defaults, "config key")
        _check_type(value, schema.defaults[key], key)
        if key in MINIMUM and value < MINIMUM[key]:
            raise ConfigError(f"config key {key!r} must be at least {MINIMUM[key]}, got {value}")
        if key in PARAM_TABLES:
            check_params(value, key)
        elif key == "hyper":
            for dataset, values in value.items():
                _known(dataset, f"hyper.{dataset}", schema.datasets, "dataset")
                check_params(values, f"hyper.{dataset}")
        elif key == "models":
            for model in value:
                _known(model, model, schema.models, "model")


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``["hyper.mnist.lam=1e-4", "datasets=[\\"usps\\"]"]`` -> a nested config layer.

    Values are read as JSON where they parse (numbers, lists, null), else kept as strings.
    """
    layer: dict[str, Any] = {}
    for item in items:
        dotted, sep, raw = item.partition("=")
        if not sep or not dotted:
            raise ConfigError(f"expected KEY=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        *parents, leaf = dotted.split(".")
        node = layer
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{item!r}: {part!r} was given a value above, not a table")
        node[leaf] = value
    return layer


def resolve(defaults: Mapping[str, Any], quick: Mapping[str, Any] | None, *layers: Mapping) -> dict:
    """Merge the common defaults, an experiment's defaults, its quick layer and user layers."""
    cfg = merge(COMMON, defaults)
    if quick is not None:
        cfg = merge(merge(cfg, QUICK), quick)
    for layer in layers:
        cfg = merge(cfg, layer)
    return cfg


def dataset_params(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The run parameters for ``dataset``: base, then hyper, then override, then caps
    (a cap of None is no cap)."""
    params = {**cfg["base"], **cfg["hyper"].get(dataset, {}), **cfg["override"]}
    for key, cap in cfg["caps"].items():
        if cap is not None and params.get(key) is not None:
            params[key] = min(params[key], cap)
    return params


def empty_lists(cfg: Mapping[str, Any]) -> list[str]:
    """The keys of the empty lists in ``cfg``, a tune grid's included: a config without runs."""
    lists = {key: value for key, value in cfg.items() if isinstance(value, list)}
    for table in PARAM_TABLES:
        lists |= {f"{table}.{k}": v for k, v in cfg.get(table, {}).items() if isinstance(v, list)}
    return [key for key, value in lists.items() if not value]


def expand(
    experiment: str, cfg: Mapping[str, Any], variants: Iterable[Mapping[str, Any]] = ({},)
) -> list[RunSpec]:
    """One run per dataset x seed x model x variant (a variant updates the run parameters).

    Datasets vary slowest, so a worker keeps using the dataset it has loaded.
    """
    variants = list(variants)
    seeds = range(cfg["seed"], cfg["seed"] + cfg["repeats"])
    return [
        RunSpec(experiment, dataset, model, {**dataset_params(cfg, dataset), **variant}, seed)
        for dataset in cfg["datasets"]
        for seed in seeds
        for model in cfg["models"]
        for variant in variants
    ]
