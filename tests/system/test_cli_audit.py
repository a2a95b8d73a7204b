"""`fieldapp audit`: the log as a Vietnamese table or JSON lines, filtered by day and action."""
import json

from fieldapp import audit
from fieldapp.cli import main


def _run(runner, site, *args):
    result = runner.invoke(main, ["--data", site.data_dir, "audit", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_audit_lists_entries_as_a_table_and_json(runner, site):
    audit.record(site, "lan", "login.ok")
    audit.record(site, "lan", "export.cli", count=3)
    table = _run(runner, site)
    assert "Người" in table and "Việc" in table
    assert "login.ok" in table and "export.cli" in table and "count=3" in table
    lines = [json.loads(line) for line in _run(runner, site, "--json").splitlines()]
    assert [e["action"] for e in lines] == ["login.ok", "export.cli"]
    assert lines[1]["count"] == 3


def test_audit_filters_by_action_and_day(runner, site):
    audit.record(site, "lan", "login.ok")
    audit.record(site, "lan", "export.cli", count=3)
    lines = _run(runner, site, "--json", "--action", "export").splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["export.cli"]
    assert "Không có mục nào" in _run(runner, site, "--since", "01/01/2099")
    assert len(_run(runner, site, "--json", "--since", "02/01/2000").splitlines()) == 2


def test_audit_refuses_a_bad_day(runner, site):
    result = runner.invoke(main, ["--data", site.data_dir, "audit", "--since", "hôm qua"])
    assert result.exit_code == 2


def test_cli_export_import_backup_and_restore_are_logged(tmp_path, runner):
    from fieldapp.site import Site
    from tests.support import factories
    from tests.support.batches import filled_village
    village = filled_village(tmp_path / "village")
    commune_dir = tmp_path / "commune"
    factories.commune_site(commune_dir, users=False)
    out, bad, saved = tmp_path / "b.json.gz", tmp_path / "bad.json", tmp_path / "s.tar.gz"
    bad.write_text("{}")
    assert runner.invoke(main, ["--data", village.data_dir, "export", "--out", str(out)]).exit_code == 0
    runner.invoke(main, ["--data", str(commune_dir), "import", str(out), str(bad)])
    secret = {"FIELDAPP_BACKUP_PASSPHRASE": "mot-cum-mat-khau"}
    assert runner.invoke(main, ["--data", village.data_dir, "backup", "--out", str(saved)],
                         env=secret).exit_code == 0
    restored = tmp_path / "restored"
    assert runner.invoke(main, ["--data", str(restored), "restore", str(saved)],
                         env=secret).exit_code == 0
    exported = audit.entries(village, "export")
    assert [(e["actor"], e["count"]) for e in exported] == [("cli", 9)]
    imported = audit.entries(Site(str(commune_dir)), "import")
    assert [e["action"] for e in imported] == ["import.cli.ok", "import.cli.refused"]
    assert imported[0]["batch_id"] == exported[0]["batch_id"] and imported[0]["new"] == 9
    assert [e["action"] for e in audit.entries(village, "backup")] == ["backup"]
    assert audit.entries(Site(str(restored)), "restore")[-1]["action"] == "restore"
