"""The paper's seven datasets, loaded the same way from their original files.

>>> ds = load_dataset("mnist")            # doctest: +SKIP
>>> ds.X_train.shape, ds.info.n_classes   # doctest: +SKIP
((60000, 784), 10)
"""

from msae.data.cache import get_cache_dir
from msae.data.dataset import (
    Dataset,
    DatasetStatus,
    dataset_status,
    download_dataset,
    get_data_dir,
    get_info,
    load_dataset,
    train_val_split,
)
from msae.data.errors import DatasetError
from msae.data.files import FileSpec
from msae.data.registry import DATASETS, DatasetInfo, Layout

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "DatasetStatus",
    "FileSpec",
    "Layout",
    "dataset_status",
    "download_dataset",
    "get_cache_dir",
    "get_data_dir",
    "get_info",
    "load_dataset",
    "train_val_split",
]
