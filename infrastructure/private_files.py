"""Files only their owner can read: the data directory 0700, and each store, key or checkpoint file in it 0600."""

from __future__ import annotations

import os
from pathlib import Path

OWNER_ONLY_DIRECTORY, OWNER_ONLY_FILE = 0o700, 0o600


def private_directory(path: Path) -> Path:
    """Create the directory owner-only if missing, and make an existing one so."""
    path.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
    path.chmod(OWNER_ONLY_DIRECTORY)
    return path


def private_file(path: Path) -> Path:
    """Create the file empty and owner-only if missing (SQLite then keeps that mode), and make an existing one so."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, OWNER_ONLY_FILE))
    path.chmod(OWNER_ONLY_FILE)
    return path
