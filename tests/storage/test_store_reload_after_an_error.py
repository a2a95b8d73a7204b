"""A store reload cut short by an error loses no versions at a later commit."""
import pytest

from storage import RecordStore
from tests.support.factories import household


def test_a_reload_cut_short_by_an_error_does_not_make_a_later_commit_lose_versions(
        tmp_path, monkeypatch):
    """`_refresh` records the new file signatures before indexing, and (since a8ac313)
    swaps in the freshly read segment tables only after indexing. When indexing fails
    (MemoryError at a large commune, say), the store is left with the new signatures, the
    old `_docs` tables and reset indexes (last_seq 0). The next commit's `_refresh()` sees
    equal signatures and reloads nothing, then rewrites the open segment from the stale
    table with seqs that start again at 1: the other process's version is gone and the
    store's own first version is overwritten."""
    here, other = RecordStore(str(tmp_path)), RecordStore(str(tmp_path))
    first, second, third = household("Một"), household("Hai"), household("Ba")
    here.submit([first], "p1")
    other.submit([second], "p1")                 # another process adds to the open segment

    def out_of_memory(*args, **kwargs):
        raise MemoryError("while indexing")

    monkeypatch.setattr(here, "_index_all", out_of_memory)
    with pytest.raises(MemoryError):
        here.refresh()                           # e.g. the refresh at the start of an import
    monkeypatch.undo()

    here.submit([third], "p1")                   # the next import
    reopened = RecordStore(str(tmp_path))
    assert {v["id"] for v in reopened.currents()} == {first["id"], second["id"], third["id"]}
