"""Writing safely: whole files and folders or none, and a full disk in one line (writes.py)."""

from emotion.storage.writes import DiskFull, atomic_file, atomic_folder, writing

__all__ = ["DiskFull", "atomic_file", "atomic_folder", "writing"]
