"""Durable storage: atomic TinyDB files, locks, and the versioned record store."""
from storage.durable import AtomicJSONStorage, FileLock, open_tinydb
from storage.ordering import version_key
from storage.outcomes import Conflict, Refused, StorageError
from storage.store import RecordStore

__all__ = ["AtomicJSONStorage", "FileLock", "open_tinydb", "RecordStore",
           "StorageError", "Refused", "Conflict", "version_key"]
