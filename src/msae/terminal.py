"""The rich console every command prints through."""

from __future__ import annotations

from rich.console import Console


def make_console() -> Console:
    """A console that wraps lines only on a terminal.

    Written to a file or a pipe (a sweep's log), rich would break lines at 80 columns and
    move a long path onto a line of its own; unwrapped, each message stays one line that
    ``grep`` finds whole and a path that can be copied.
    """
    console = Console()
    console.soft_wrap = not console.is_terminal
    return console
