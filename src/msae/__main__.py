"""``python -m msae ...``: the ``msae`` command, where its script is not on the PATH."""

from msae.cli import app

if __name__ == "__main__":
    app(prog_name="msae")
