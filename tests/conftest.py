import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not os.environ.get("MSAE_DATA"):  # unset or empty: the library reads both as unset
    os.environ["MSAE_DATA"] = str(SHARED_DATA)


@pytest.fixture(scope="session")
def digits():
    """sklearn's digits scaled to [0, 1], split 75/25 stratified."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)


@pytest.fixture(autouse=True)
def denormals_as_torch_leaves_them():
    """The `msae` command flushes denormals for its whole process (msae.train.flush_denormals):
    run in-process by a test, it must not change the arithmetic of the tests after it."""
    yield
    import torch

    torch.set_flush_denormal(False)
