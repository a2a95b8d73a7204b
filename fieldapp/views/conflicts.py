"""The village's forks (SPEC §3): a record edited on two devices, neither edit made from
the other. The lead sees both sides field by field and keeps one: that saves a merge, a
version whose base names every head, which closes the fork wherever it travels."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from fieldapp.auth.access import check_village, current_user, get_site, page
from fieldapp.forms.errors import BadRequest, NotFound
from fieldapp.forms.rules import TYPE_LABELS
from fieldapp.forms.text import vn_time
from fieldapp.forms.versions import base_of, forks, make_version
from fieldapp.records import open_forks, save_versions
from fieldapp.views.differences import differences, field_labels, readable, record_title
from fieldapp.views.forms import ActionForm, require_form_token

bp = Blueprint("conflicts", __name__)
LEADS = ("lead", "admin")


@bp.get("/conflicts")
@page(*LEADS, site_kind="village")
def index():
    """Every open fork of the village, each side's differing fields side by side."""
    user = current_user()
    site = get_site()
    site.store.refresh()
    villages = [user["village_id"]] if user["role"] == "lead" else site.village_ids
    items = []
    for fork in open_forks(site.store, villages):
        heads = fork["versions"]
        fields = differences(heads)
        items.append({"id": fork["id"], "type": TYPE_LABELS.get(fork["type"], fork["type"]),
                      "title": record_title(heads[-1]), "fields": fields, "sides": [
                          {"author": v["author"], "device_id": v["device_id"],
                           "when": vn_time(v["updated_at"]), "updated_at": v["updated_at"],
                           "values": [readable(v, f) for f in fields]} for v in heads]})
    return render_template("conflicts.html", items=items, labels=field_labels(),
                           action=ActionForm())


@bp.post("/conflicts/<record_id>/keep")
@page(*LEADS, site_kind="village")
def keep(record_id):
    """Keep one side of a fork: a merge of every head with that side's content."""
    require_form_token()
    user = current_user()
    site = get_site()
    site.store.refresh()
    history = site.store.history(record_id[:40])
    if not history:
        raise NotFound("Không tìm thấy bản ghi này.")
    check_village(user, history[-1]["village_id"])
    heads = forks(history)
    if not heads:
        flash("Bản ghi này không còn hai bản khác nhau: có thể người khác vừa chọn xong.", "ok")
        return redirect(url_for("conflicts.index"), code=303)
    kept = next((v for v in heads if v["updated_at"] == request.form.get("updated_at", "")
                 and v["device_id"] == request.form.get("device_id", "")), None)
    if kept is None:
        raise BadRequest("Bản được chọn không còn là một bên của xung đột; hãy tải lại trang.")
    # stamped after the latest head (so that it is current), and made from all of them
    merge = make_version(kept["type"], kept["village_id"], kept["data"], user["username"],
                         f"web-{user['username']}", record_id=kept["id"],
                         deleted=kept["deleted"], made_from=max(heads, key=_stamp))
    merge["base"] = [base_of(v) for v in heads]
    result = save_versions(site, [merge], user, [kept["village_id"]])[0]
    if result["errors"]:
        raise BadRequest(" ".join(result["errors"].values()))
    flash(f"Đã giữ bản của {kept['author']} ({vn_time(kept['updated_at'])}).", "ok")
    return redirect(url_for("conflicts.index"), code=303)


def _stamp(version):
    return version["updated_at"], version["device_id"]
