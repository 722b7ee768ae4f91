"""Where the training and evaluation images live: the one place the Python code resolves it.

The data root is the environment variable DLNET_DATA, or `data/` at the repository root when it is
unset. It holds train/T91, train/BSD400, train/faces, train/scenes, eval/Set5 and eval/Set14 (the
README's "Datasets" section says what they are); none of it is part of the repository.
"""
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_ROOT = os.path.abspath(os.environ.get("DLNET_DATA") or os.path.join(REPO_ROOT, "data"))


def data_path(*parts):
    """A path under the data root, e.g. data_path("train", "T91"); nothing is checked here."""
    return os.path.join(DATA_ROOT, *parts)


def require_folder(folder):
    """Exits with one sentence (status 1) when `folder` is not a folder, else returns it."""
    if not os.path.isdir(folder):
        sys.exit(f"The image folder {folder} does not exist: set DLNET_DATA to the folder that holds "
                 f"train/ and eval/ (now {DATA_ROOT}), or put them in data/ at the repository root.")
    return folder
