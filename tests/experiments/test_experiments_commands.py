"""The commands that made docs/results/ must still parse: each runs here with ``--dry-run``.

``run.sh`` is the record of how every committed number was made, and ``run-gpu.sh`` what is
left for a bigger machine; a renamed flag or experiment would silently break them. The
examples in README.md and docs/*.md are checked the same way.
"""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
RESULTS = ROOT / "docs" / "results"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPTS = ("run.sh", "run-gpu.sh")


def _variables(text: str, out: Path) -> dict[str, list[str]]:
    """Shell assignments of the script (``g5='[...]'``, ``common=(...)``) as argument lists;
    ``out``, the script's first argument, is ``out`` here."""
    found = {"out": [str(out)]}
    for name, array, scalar in re.findall(r"^(\w+)=(?:\((.*)\)|(.*))$", text, re.MULTILINE):
        if name == "out":
            continue
        try:
            found[name] = [w for t in shlex.split(array or scalar) for w in _expand(t, found)]
        except KeyError:  # ``tests=$(...)`` and the like: no command uses them
            continue
    return found


def _expand(token: str, variables: dict[str, list[str]]) -> list[str]:
    """``"${common[@]}"`` -> its items; ``lams=$g5`` -> ``lams=[...]``; ``"$out"`` -> the path."""
    if match := re.fullmatch(r"\$\{(\w+)\[@\]\}", token):
        return [*variables[match[1]]]
    return [re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: " ".join(variables[m[1]]), token)]


def commands(script: str, out: Path) -> list[list[str]]:
    """Every ``msae reproduce`` command of ``script``, variables expanded, without ``msae``."""
    text = (RESULTS / script).read_text()
    variables = _variables(text, out)
    found = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["run"]:
            words = words[1:]
        if words[-1:] == ["&"]:  # run in the background, beside the next command
            words = words[:-1]
        if words[:2] == ["msae", "reproduce"]:
            found.append([w for token in words[1:] for w in _expand(token, variables)])
    return found


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_results_command_still_parses(invoke, script, tmp_path):
    found = commands(script, tmp_path / "out")
    assert len(found) >= (10 if script == "run.sh" else 3)
    for args in found:
        result = invoke(*args, "--dry-run")
        assert re.search(r"\d+ runs?, \d+ already", result.output), (args, result.output)


def test_the_parser_expands_what_the_scripts_use(tmp_path):
    args = commands("run-gpu.sh", tmp_path)[0]
    assert args[:2] == ["reproduce", "table3"]
    assert args[-2:] == ["--out", str(tmp_path)] and "--device" in args  # "${common[@]}"
    grids = [a for a in (w for c in commands("run.sh", tmp_path) for w in c) if "lams=" in a]
    assert "lams=[1e-7,1e-5,1e-3,0.1,10]" in grids  # lams=$g5


def doc_examples() -> list[tuple[str, list[str]]]:
    """``(file, args)`` of every ``msae reproduce`` line in a fenced block of the docs, but
    the synopses (``[--quick]``, ``a|b``)."""
    found = []
    for path in DOCS:
        fenced = False
        for line in path.read_text().splitlines():
            if line.startswith("```"):
                fenced = not fenced
                continue
            if not (fenced and line.startswith("msae reproduce ")):
                continue
            words = shlex.split(line, comments=True)
            if not any("|" in w or w.startswith("[") for w in words):
                found.append((path.name, words[1:]))
    return found


def test_every_example_in_the_docs_still_parses(invoke, tmp_path):
    examples = doc_examples()
    assert len(examples) >= 5 and {name for name, _ in examples} >= {"README.md", "experiments.md"}
    for name, args in examples:
        if "--out" in args:  # look in a folder of the test's, not the example's
            at = args.index("--out")
            args = args[:at] + args[at + 2 :]
        result = invoke(*args, "--dry-run", "--out", tmp_path / "out")
        assert re.search(r"\d+ runs?, \d+ already", result.output), (name, args, result.output)


def test_the_config_file_example_in_the_docs_is_read(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example names its file relative to where it runs
    text = (ROOT / "docs" / "experiments.md").read_text()
    example = re.search(r"```toml\n(# (\S+): (msae [^\n]*)\n.*?)```", text, re.DOTALL)
    (tmp_path / example[2]).write_text(example[1])
    args = shlex.split(example[3])[1:]
    result = invoke(*args, "--dry-run", "--out", tmp_path / "out", "--data-dir", tmp_path)
    assert re.search(r"\d+ runs?, \d+ already", result.output), result.output
