"""The one error type of :mod:`msae.data`."""

from __future__ import annotations

from pathlib import Path

FIX = (
    "Delete it and download it again (`msae datasets --download NAME`), or point --data-dir / "
    "MSAE_DATA at a directory that holds a good copy."
)


class DatasetError(ValueError):
    """A dataset file is missing, damaged, or not what the registry describes.

    ``path`` is the file at fault, when there is one.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def bad_file(path: Path, expected: str, found: str, member: str | None = None) -> DatasetError:
    """The error for a file (or a ``member`` of an archive) that is not what it should be."""
    where = f"{path} (member {member})" if member else f"{path}"
    return DatasetError(f"{where}: expected {expected}, found {found}. {FIX}", path)
