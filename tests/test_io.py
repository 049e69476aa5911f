"""Loading a saved model: a damaged or wrong directory is a ModelFileError naming the file."""

import json

import numpy as np
import pytest

from msae import MSAEClassifier, MSAETransformer
from msae.io import ModelFileError


@pytest.fixture(scope="module")
def saved(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("models")
    x_tr, _, y_tr, _ = digits
    MSAEClassifier(8, max_iter=3, random_state=0).fit(x_tr, y_tr).save(root / "clf")
    MSAETransformer(12, max_iter=3, random_state=0).fit(x_tr).save(root / "wider")
    return root


def _copy(src, dst):
    dst.mkdir()
    for file in src.iterdir():
        (dst / file.name).write_bytes(file.read_bytes())
    return dst


def test_no_model_there(tmp_path):
    with pytest.raises(ModelFileError, match="no such directory"):
        MSAEClassifier.load(tmp_path / "absent")
    with pytest.raises(ModelFileError, match=r"it has no config\.json"):
        MSAEClassifier.load(tmp_path)


def test_damaged_config(saved, tmp_path):
    model = _copy(saved / "clf", tmp_path / "m")
    config = model / "config.json"
    good = json.loads(config.read_text())
    config.write_text("{not json")
    with pytest.raises(ModelFileError, match=r"config\.json: not valid JSON"):
        MSAEClassifier.load(model)
    config.write_text(json.dumps({**good, "format": 7}))
    with pytest.raises(ModelFileError, match="unsupported format 7"):
        MSAEClassifier.load(model)
    config.write_text(json.dumps({**good, "class": "os.system"}))
    with pytest.raises(ModelFileError, match=r"class 'os\.system' is not one of"):
        MSAEClassifier.load(model)
    del good["n_iter"]
    config.write_text(json.dumps(good))
    with pytest.raises(ModelFileError, match="do not make a model"):
        MSAEClassifier.load(model)


def test_damaged_or_mismatched_tensors(saved, tmp_path):
    model = _copy(saved / "clf", tmp_path / "m")
    tensors = model / "model.safetensors"
    data = tensors.read_bytes()
    tensors.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"model\.safetensors: not a readable safetensors"):
        MSAEClassifier.load(model)
    tensors.write_bytes((saved / "wider" / "model.safetensors").read_bytes())  # 12 units, not 8
    with pytest.raises(ModelFileError, match="do not make a model"):
        MSAEClassifier.load(model)
    tensors.unlink()
    with pytest.raises(ModelFileError, match=r"model\.safetensors: missing"):
        MSAEClassifier.load(model)


def test_an_intact_copy_loads(saved, tmp_path, digits):
    """The checks above reject damage, not copies."""
    model = MSAEClassifier.load(_copy(saved / "clf", tmp_path / "m"))
    original = MSAEClassifier.load(saved / "clf")
    np.testing.assert_array_equal(model.predict_proba(digits[1]), original.predict_proba(digits[1]))
