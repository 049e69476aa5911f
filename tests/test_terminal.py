from msae.terminal import make_console


def test_output_to_a_file_is_not_wrapped(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "40")  # narrower than the message
    path = "/a/long/output/directory/of/a/sweep/results.sqlite"
    make_console().print(f"100 runs (0 already done, 0 failed) in {path}")
    assert capsys.readouterr().out == f"100 runs (0 already done, 0 failed) in {path}\n"


def test_a_terminal_wraps(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich's way to treat the output as a terminal
    console = make_console()
    console.print("word " * 20, highlight=False)
    assert console.is_terminal and len(capsys.readouterr().out.splitlines()) > 1
