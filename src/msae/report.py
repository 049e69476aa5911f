"""``msae report``: the stored results beside the paper's, as Markdown and PNG figures."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from msae.experiments.paper import RAW, label, paper_values
from msae.experiments.registry import EXPERIMENTS, check_names
from msae.experiments.reporting import count, group, in_order, md_table, shown
from msae.experiments.store import STORE_NAME, Row, stored_rows

REPORT_NAME = "report.md"
FIGURES = "figures"
# Run parameters worth showing beside every experiment (the others are in the store).
SHOWN_PARAMS = ("n_components", "lam", "beta", "rho", "max_iter", "solver", "n_train", "n_test")


def _cell(key: str, value: Any) -> str:
    if value is None:  # no subsample: the whole split; otherwise the option was unset
        return "all" if key in ("n_train", "n_test") else "-"
    return shown(value)


def settings_table(rows: Iterable[Row]) -> str:
    """Per dataset, the run parameters and their values (several where the experiment varies)."""
    body = []
    for dataset, runs in group(rows, lambda r: r.dataset).items():
        cells = []
        for key in SHOWN_PARAMS:
            values = sorted({r.params.get(key) for r in runs}, key=in_order)
            texts = [_cell(key, v) for v in values]
            cells.append(", ".join(texts) if len(texts) <= 3 else f"{len(texts)} values")
        body.append([label(dataset), *cells])
    table = md_table(["dataset", *SHOWN_PARAMS], body)
    reduced = [
        f"{verb} on {' / '.join(str(n) for n in sizes)} {split} rows"
        for verb, split, key in (("trained", "training", "n_train"), ("tested", "test", "n_test"))
        if (sizes := sorted({r.params[key] for r in rows if r.params.get(key)}))
    ]
    if reduced:
        table += (
            f"\n**Reduced runs** (`--quick`, or `n_train` / `n_test`): {' and '.join(reduced)}, "
            "stratified subsamples of the splits, so their numbers are not comparable with the "
            "paper's (at `--quick`'s 600 rows, a smoke test only).\n"
        )
    fractions = sorted({r.params["validation"] for r in rows if r.params.get("validation")})
    if fractions:
        shares = " / ".join(f"{f:.0%}" for f in fractions)
        table += (
            f"\n**Validation runs** (`--validation`): scored on a stratified {shares} of the "
            "training rows, not on the test set, so their accuracies are validation "
            "accuracies, not comparable with the paper's test accuracies.\n"
        )
    lengths = {
        (r.model, r.params["fine_tune_iter"]) for r in rows if r.params.get("fine_tune_iter")
    }
    if tuned := sorted((model, k) for model, k in lengths if model != RAW):  # raw has no encoder
        which = ", ".join(f"{label(model)} {k}" for model, k in tuned)
        table += (
            "\n**Fine-tuned runs** (`fine_tune_iter`): after the softmax, the encoder and the "
            f"softmax were trained together on the labels (L-BFGS iterations: {which}), a step "
            "the paper does not describe, so their accuracies are of that pipeline, not of the "
            "paper's.\n"
        )
    precisions = {r.params.get("matmul_precision", "ieee") for r in rows}
    if inexact := sorted(str(p) for p in precisions - {None, "ieee"}):
        table += (
            f"\n**Faster products** (`matmul_precision` {' / '.join(inexact)}): training's "
            "float32 matrix products took their inputs rounded to that format (float32 sums), "
            "not exact float32 (docs/performance.md).\n"
        )
    return table


def _provenance(rows: list[Row]) -> str:
    """msae's versions and commits that made ``rows``: a few are listed, many counted."""
    parts = []
    for version, runs in sorted(group(rows, lambda r: r.version or "unknown").items()):
        commits: dict[str, None] = {}  # in the order of their first finished run
        for r in sorted(runs, key=lambda r: r.finished_at):
            commits.setdefault(r.git_commit[:10] if r.git_commit else "no git commit")
        names = list(commits)
        listed = ", ".join(names) if len(names) <= 3 else (
            f"{len(names)} commits, the first {names[0]}, the last {names[-1]}"
        )  # fmt: skip
        parts.append(f"{version} ({listed})")
    return "; ".join(parts) or "-"


def _header(rows: list[Row], failed: int) -> str:
    now = datetime.datetime.now().isoformat(timespec="seconds")
    failures = (
        f", {failed} failed (not shown; rerun `msae reproduce` to retry them)" if failed else ""
    )
    return (
        "# LR21-MSAE: reproduction report\n\n"
        f"Paper: {paper_values()['source']['citation']}\n\n"
        f"Generated {now} from `{STORE_NAME}`: {count(len(rows), 'run')}{failures}; "
        f"msae {_provenance(rows)}; each run's commit is in the store (`msae export`).\n"
    )


def _anchor(title: str) -> str:
    """The link target that GitHub (and most Markdown viewers) give the heading ``title``."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def write_report(out_dir: str | Path, experiments: Sequence[str] | None = None) -> Path:
    """Write ``out_dir/report.md`` and ``out_dir/figures/*.png`` from ``out_dir``'s store."""
    out_dir = Path(out_dir)
    check_names(experiments)  # first: a misspelt name must not leave an empty report
    stored = stored_rows(out_dir, status=None)  # one read: the runs, and the failures counted
    rows = [r for r in stored if r.status == "ok"]
    failed = sum(r.status == "error" for r in stored)
    by_experiment = group(rows, lambda r: r.experiment)
    sections = [_header(rows, failed)]
    names = [name for name in experiments or EXPERIMENTS if name in by_experiment]
    if len(names) > 1:
        titles = [EXPERIMENTS[name].title for name in names]
        sections.append("Contents: " + " · ".join(f"[{t}](#{_anchor(t)})" for t in titles) + "\n")
    for name in names:
        experiment, runs = EXPERIMENTS[name], by_experiment[name]
        sections.append(
            f"## {experiment.title}\n\n`msae reproduce {name}`, "
            f"{count(len(runs), 'run')} with:\n\n"
            f"{settings_table(runs)}\n{experiment.report(runs, out_dir / FIGURES)}"
        )
    path = out_dir / REPORT_NAME
    path.write_text("\n".join(sections))
    return path
