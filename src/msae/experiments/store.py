"""Results store: one SQLite row per finished run, keyed by the hash of its spec.

Each row is written in its own transaction, the database is in WAL mode with a busy timeout,
so several processes can write at once and a sweep killed at any point loses at most the
runs in flight; re-running it skips the rows already there.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from msae.experiments.spec import RunSpec, canonical_json

STORE_NAME = "results.sqlite"
BUSY_TIMEOUT_MS = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    dataset TEXT NOT NULL,
    model TEXT NOT NULL,
    seed INTEGER NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    metrics TEXT NOT NULL,
    error TEXT,
    train_time REAL,
    test_time REAL,
    version TEXT,
    git_commit TEXT,
    env TEXT NOT NULL,
    finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_experiment ON runs (experiment, status);
"""


@dataclass(frozen=True)
class Row:
    """A stored run; ``env`` says where it ran (host, processor, threads, backend, workers,
    Python, torch)."""

    key: str
    experiment: str
    dataset: str
    model: str
    seed: int
    params: dict[str, Any]
    status: str
    metrics: dict[str, Any]
    error: str | None
    train_time: float | None
    test_time: float | None
    version: str | None
    git_commit: str | None
    env: dict[str, Any]
    finished_at: float


COLUMNS = tuple(f.name for f in fields(Row))


class StoreError(Exception):
    """A ``results.sqlite`` that cannot be used: not an SQLite database, damaged, or another
    program's database. The message names the file; nothing is written to it."""


@contextmanager
def _usable(path: Path) -> Iterator[None]:
    """SQLite's complaints about the file itself as a StoreError that names it. Operational
    errors (a lock held past the busy timeout, a full disk) pass through as they are."""
    try:
        yield
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a usable results store ({exc}); move it aside to start a new "
            "one there, or put back a copy"
        ) from exc


class ResultStore:
    """The ``results.sqlite`` of an output directory."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir) / STORE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            with _usable(self.path):
                self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._check_layout()
                with self._conn:
                    self._conn.executescript(_SCHEMA)
        except BaseException:
            self._conn.close()
            raise

    def _check_layout(self) -> None:
        """StoreError where the file holds a ``runs`` table that is not ours."""
        found = tuple(row[1] for row in self._conn.execute("PRAGMA table_info(runs)"))
        if found and found != COLUMNS:
            raise StoreError(
                f"{self.path} has a 'runs' table with the columns {', '.join(found)}, not those "
                f"of a results store ({', '.join(COLUMNS)}); choose another --out"
            )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(
        self,
        keys: Iterable[str] | None = None,
        made_by: tuple[str | None, str | None] | None = None,
    ) -> set[str]:
        """Keys of the successful runs (among ``keys`` when given; made by the code
        ``made_by`` = (git commit, version) when given)."""
        query = "SELECT key, git_commit, version FROM runs WHERE status = 'ok'"
        with _usable(self.path):
            stored = self._conn.execute(query).fetchall()
        found = {k for k, *code in stored if not made_by or tuple(code) == made_by}
        return found if keys is None else found & set(keys)

    def write(self, spec: RunSpec, outcome: dict[str, Any], env: dict[str, Any]) -> None:
        """Store a run's outcome (``status``, ``metrics``, ``error``) in one transaction.

        ``train_time`` and ``test_time`` move from the metrics to their own columns, so the
        metrics of a seeded run are the same every time it runs; ``version`` and
        ``git_commit`` move from ``env`` likewise. The outcome's ``machine`` (where it ran)
        joins ``env``.
        """
        metrics, env = dict(outcome.get("metrics", {})), {**env, **outcome.get("machine", {})}
        times = metrics.pop("train_time", None), metrics.pop("test_time", None)
        source = env.pop("version", None), env.pop("git_commit", None)
        with _usable(self.path), self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    spec.key,
                    spec.experiment,
                    spec.dataset,
                    spec.model,
                    spec.seed,
                    canonical_json(spec.params),
                    outcome["status"],
                    canonical_json(metrics),
                    outcome.get("error"),
                    *times,
                    *source,
                    canonical_json(env),
                    time.time(),
                ),
            )

    def rows(self, experiment: str | None = None, status: str | None = "ok") -> list[Row]:
        """Stored runs, oldest first, filtered by experiment and status (None: any)."""
        with _usable(self.path):
            stored = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM runs WHERE (? IS NULL OR experiment = ?)"
                " AND (? IS NULL OR status = ?) ORDER BY finished_at",
                (experiment, experiment, status, status),
            ).fetchall()
        return [_decode(Row(*values)) for values in stored]


def stored_rows(out_dir: str | Path, status: str | None = "ok") -> list[Row]:
    """The runs stored in ``out_dir`` (see :meth:`ResultStore.rows`); FileNotFoundError,
    rather than a new empty store, where there is none."""
    if not (Path(out_dir) / STORE_NAME).exists():
        raise FileNotFoundError(f"no {STORE_NAME} in {out_dir}: run `msae reproduce` first")
    with ResultStore(out_dir) as store:
        return store.rows(status=status)


def _decode(row: Row) -> Row:
    """The row with its JSON columns parsed."""
    decoded = {name: json.loads(getattr(row, name)) for name in ("params", "metrics", "env")}
    return replace(row, **decoded)
