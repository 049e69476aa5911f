"""Downloads with pooch: official URL first, then mirrors; checksum checked by pooch."""

from __future__ import annotations

from pathlib import Path

import pooch
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from msae.data.errors import DatasetError
from msae.data.files import FileSpec


class ProgressBar:
    """The progress-bar object that pooch's HTTPDownloader drives, drawn with rich."""

    def __init__(self, label: str) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        self._task = self._progress.add_task(label, total=None)
        self._progress.start()

    @property
    def total(self) -> float | None:
        return self._progress.tasks[0].total

    @total.setter
    def total(self, value: float) -> None:
        self._progress.update(self._task, total=value or None)

    def update(self, n: float) -> None:
        self._progress.advance(self._task, n)

    def reset(self) -> None:
        self._progress.reset(self._task)

    def close(self) -> None:
        self._progress.stop()


def fetch(spec: FileSpec, folder: Path) -> Path:
    """Download ``spec`` into ``folder``, trying its URLs in order."""
    errors = []
    for url in spec.urls:
        bar = ProgressBar(spec.name)
        try:
            path = pooch.retrieve(
                url,
                known_hash=spec.known_hash,
                fname=spec.name,
                path=folder,
                downloader=pooch.HTTPDownloader(progressbar=bar),
            )
        except ValueError as exc:  # pooch: the download does not match known_hash
            raise DatasetError(f"{url}: the downloaded file failed its checksum: {exc}") from exc
        except OSError as exc:  # network errors (requests' are OSErrors) or an unwritable folder
            errors.append(f"{url}: {exc}")
            continue
        finally:
            bar.close()
        return Path(path)
    raise DatasetError(
        f"could not download {spec.name} ({'; '.join(errors)}). Download it by hand into "
        f"{folder}, or point --data-dir / MSAE_DATA at a writable directory."
    )
