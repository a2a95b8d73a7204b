"""The audit log of a site: who did what, when, to which records.

DATA/audit.log is append-only (storage.journal). An entry names the actor by login name,
the action, and record ids or counts, never personal data (no names, phones, addresses).
"""
import datetime
import os

from storage.journal import append_entry, read_entries

__all__ = ["record", "entries"]


def _path(site):
    return os.path.join(site.data_dir, "audit.log")


def record(site, actor, action, **details):
    """Append an entry: `actor` a login name (or "cli"/"system"), `action` a short
    dotted word such as "login.ok", `details` ids and counts only."""
    entry = {"at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "actor": actor or "", "action": action}
    entry.update(details)
    return append_entry(_path(site), entry)


def entries(site, action=None):
    """The entries of the log, oldest first, optionally those of one action prefix."""
    found = read_entries(_path(site))
    if action:
        found = [e for e in found if e.get("action", "").startswith(action)]
    return found
