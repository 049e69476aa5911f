"""Fixtures for the data tests: the shared real files, no network, a private cache."""

from __future__ import annotations

import os
from pathlib import Path

import pooch
import pytest

from msae.data import files

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """``$MSAE_DATA`` if set, else ``<repo>/../shared/data``."""
    return Path(os.environ.get("MSAE_DATA") or REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("msae-cache")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, session_cache: Path) -> None:
    """Every test: the cache in a temporary folder, and any download attempt fails loudly."""
    monkeypatch.setenv("MSAE_CACHE", str(session_cache))

    def no_network(*args: object, **kwargs: object) -> str:
        raise AssertionError(f"a test tried to download: {args} {kwargs}")

    monkeypatch.setattr(pooch, "retrieve", no_network)


@pytest.fixture
def files_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, a load that checks a dataset's source files again fails the test (files
    are checked before they are parsed, so a load that passes came from the cache)."""

    def read_again(*args: object) -> None:
        raise AssertionError(f"a load checked its source files again: {args}")

    monkeypatch.setattr(files, "verify", read_again)
