import multiprocessing
import os

from storage.journal import append_entry, read_entries


def _append_many(path, writer, count):
    for n in range(count):
        append_entry(path, {"writer": writer, "n": n})


def test_entries_from_two_processes_are_whole_and_all_kept(tmp_path):
    path = str(tmp_path / "audit.log")
    workers = [multiprocessing.Process(target=_append_many, args=(path, w, 200)) for w in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    found = read_entries(path)
    assert len(found) == 400
    for writer in "ab":
        assert [e["n"] for e in found if e["writer"] == writer] == list(range(200))


def test_a_torn_last_line_is_skipped_and_the_rest_read(tmp_path):
    path = str(tmp_path / "audit.log")
    append_entry(path, {"action": "login.ok"})
    with open(path, "ab") as handle:
        handle.write(b'{"action": "exp')
    assert read_entries(path) == [{"action": "login.ok"}]
    append_entry(path, {"action": "export"})
    assert read_entries(path) == [{"action": "login.ok"}, {"action": "export"}]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_missing_journal_reads_as_empty(tmp_path):
    assert read_entries(str(tmp_path / "none.log")) == []


def test_entries_newest_first_across_blocks_skip_torn_lines(tmp_path):
    from storage.journal import entries_newest_first
    path = str(tmp_path / "audit.log")
    for n in range(300):
        append_entry(path, {"n": n, "pad": "é" * (n % 41)})    # lines cut across blocks
    with open(path, "ab") as handle:
        handle.write(b'{"n": "torn')
    got = [e["n"] for e in entries_newest_first(path, block=97)]
    assert got == list(range(299, -1, -1))
    assert list(entries_newest_first(str(tmp_path / "none.log"))) == []
