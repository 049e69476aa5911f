"""The runs of a results store as CSV or JSON Lines, for analysis outside ``msae``.

The report shows what the paper shows; an export gives every stored number, one record per
run, to be read by pandas, R or a spreadsheet (``pandas.read_csv``, ``read_json(lines=True)``).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json
from collections.abc import Sequence
from typing import Any, TextIO

from msae.experiments.store import Row

FORMATS = ("csv", "jsonl")
NESTED = ("params", "metrics", "env")  # the JSON columns of a row


def record(row: Row) -> dict[str, Any]:
    """A run as stored, with ``finished_at`` as an ISO 8601 UTC time."""
    out = dataclasses.asdict(row)
    out["finished_at"] = datetime.datetime.fromtimestamp(
        row.finished_at, datetime.timezone.utc
    ).isoformat(timespec="seconds")
    return out


def flat(row: Row) -> dict[str, Any]:
    """A run as one flat record: the row's columns, then ``params.*``, ``metrics.*`` and
    ``env.*`` (each sorted by name); a value that is not a number or a string (a curve, a
    confusion matrix) as its JSON."""
    nested = record(row)
    out = {k: v for k, v in nested.items() if k not in NESTED}
    for column in NESTED:
        for key, value in sorted(nested[column].items()):
            scalar = value is None or isinstance(value, str | int | float)
            out[f"{column}.{key}"] = value if scalar else json.dumps(value, sort_keys=True)
    return out


def write(rows: Sequence[Row], stream: TextIO, fmt: str = "csv") -> None:
    """Write ``rows`` to ``stream`` in ``fmt``: ``csv`` (flat, one column per parameter and
    metric across all rows; empty where a run has none) or ``jsonl`` (a run per line, nested
    as stored)."""
    if fmt == "jsonl":
        for row in rows:
            stream.write(json.dumps(record(row), sort_keys=True) + "\n")
        return
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")
    records = [flat(row) for row in rows]
    columns = list(dict.fromkeys(k for r in records for k in r))  # first seen, first
    base = [k for k in columns if "." not in k]
    dotted = sorted(
        (k for k in columns if "." in k), key=lambda k: (NESTED.index(k[: k.index(".")]), k)
    )
    columns = base + dotted
    writer = csv.DictWriter(stream, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
