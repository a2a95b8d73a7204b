"""The commune's import page tells staff where a village's file comes from in the words
the village's own pages use, not as a command line."""
from fieldapp import create_app
from fieldapp.views.nav import NAV
from tests.support import factories
from tests.support.pages import login_page


def test_the_import_page_names_the_villages_send_page_not_a_command(site_templates, tmp_path):
    commune = site_templates.copy(tmp_path / "xa", factories.commune_site)
    staff = create_app({"DATA_DIR": commune.data_dir}).test_client()
    login_page(staff, "canbo", factories.PASSWORD)
    page = staff.get("/commune/import").get_data(as_text=True)
    [send_tab] = [label for endpoint, label, _, _ in NAV if endpoint == "export.export"]
    assert f"“{send_tab}”" in page
    assert "fieldapp export" not in page
