"""Durable storage: atomic TinyDB files, locks, and the versioned record store."""
from storage.durable import AtomicJSONStorage, FileLock, open_tinydb
from storage.store import Conflict, RecordStore, Refused, StorageError, version_key

__all__ = ["AtomicJSONStorage", "FileLock", "open_tinydb", "RecordStore",
           "StorageError", "Refused", "Conflict", "version_key"]
