"""Forks (SPEC §3): a record edited on two devices, neither edit made from the other.

The lead (village laptop) and staff (commune) see each fork's sides field by field, who
made them on which device (and, at the commune, which laptop sent them), and resolve it:
keep one side, or pick each differing field from a side. Either saves a merge, a version
whose base names every head, which closes the fork wherever it travels.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from fieldapp import audit
from fieldapp.auth.access import check_village, current_user, get_site, page
from fieldapp.forms.errors import BadRequest, NotFound
from fieldapp.forms.rules import TYPE_LABELS
from fieldapp.forms.text import vn_time
from fieldapp.forms.versions import base_of, forks, make_version
from fieldapp.records import open_forks, people_names, save_versions
from fieldapp.views.differences import differences, field_labels, readable, record_title
from fieldapp.views.forms import ActionForm, require_form_token

bp = Blueprint("conflicts", __name__)
RESOLVERS = ("lead", "staff", "admin")
PER_PAGE = 50


@bp.get("/conflicts")
@page("lead", "admin", site_kind="village")
def index():
    """Every open fork of the lead's village (or all villages, for the admin)."""
    user = current_user()
    site = get_site()
    villages = [user["village_id"]] if user["role"] == "lead" else site.village_ids
    return render_conflicts(site, villages, "conflicts.html", "conflicts.index")


def render_conflicts(site, villages, template, endpoint):
    """The conflicts page of a site: open forks, newest first, PER_PAGE at a time."""
    site.store.refresh()
    found = sorted(open_forks(site.store, villages),
                   key=lambda fork: max(_stamp(v) for v in fork["versions"]), reverse=True)
    pages = max(1, -(-len(found) // PER_PAGE))
    page_no = max(1, min(request.args.get("page", 1, type=int) or 1, pages))
    shown = found[(page_no - 1) * PER_PAGE: page_no * PER_PAGE]
    return render_template(template, items=fork_items(site, shown), total=len(found),
                           page_no=page_no, pages=pages, endpoint=endpoint,
                           labels=field_labels(), action=ActionForm(),
                           villages={v["id"]: v["name"] for v in site.settings.get("villages", [])})


def fork_items(site, shown):
    """What the page shows of each fork: its differing fields and, per side (newest
    first), who made it, on which device, sent by which laptop, and its values."""
    names = people_names(site.store, site.village_ids)
    senders = _senders(site) if site.kind == "commune" else {}
    items = []
    for fork in shown:
        heads = sorted(fork["versions"], key=_stamp, reverse=True)
        current = site.store.current(fork["id"])
        fields = differences(heads)
        items.append({
            "id": fork["id"], "type": TYPE_LABELS.get(fork["type"], fork["type"]),
            "title": record_title(current), "village_id": fork["village_id"],
            "fields": fields, "sides": [{
                "key": side_key(v), "author": names.get(v["author"], v["author"]),
                "login": v["author"], "device_id": v["device_id"],
                "sender": _sender(senders, site.store.partition_of(v)),
                "when": vn_time(v["updated_at"]), "current": _stamp(v) == _stamp(current),
                "values": [readable(v, f) for f in fields]} for v in heads]})
    return items


def _senders(site):
    """{partition: {"name", "fingerprint"}} of the laptops whose batches the commune
    holds (a replaced laptop is a sender of its own, told apart by its key)."""
    from sync.keys import fingerprint
    from sync.senders import known_sites
    from sync.transfer import partition_for
    found = {"local": {"name": "Máy xã này", "fingerprint": ""}}
    for row in known_sites(site):
        found[partition_for(row["site_id"])] = {
            "name": row["name"],
            "fingerprint": fingerprint(row["public_key"]) if row.get("public_key") else ""}
    return found


def _sender(senders, partition):
    if not senders:                                  # a village laptop: every side is local
        return None
    return senders.get(partition) or {"name": partition or "—", "fingerprint": ""}


def side_key(version):
    """How a form names one side of a fork: its stamp and device."""
    return f"{version['updated_at']}|{version['device_id']}"


@bp.post("/conflicts/<record_id>/resolve")
@page(*RESOLVERS)
def resolve(record_id):
    """Resolve a fork: `keep` names the side to keep whole, or (empty) each differing
    field's `pick.<field>` names the side to take it from. Saves a merge of every head."""
    require_form_token()
    user = current_user()
    site = get_site()
    if user["role"] == "lead" and site.kind != "village":
        raise NotFound("Trang này không có ở máy này.")
    back = url_for("commune.conflicts" if site.kind == "commune" else "conflicts.index")
    site.store.refresh()
    history = site.store.history(record_id[:40])
    if not history:
        raise NotFound("Không tìm thấy bản ghi này.")
    check_village(user, history[-1]["village_id"])
    heads = forks(history)
    if not heads:
        flash("Bản ghi này không còn hai bản khác nhau: có thể người khác vừa chọn xong.", "ok")
        return redirect(back, code=303)
    by_key = {side_key(v): v for v in heads}
    data, deleted, said = _merged(heads, by_key)
    newest = max(heads, key=_stamp)
    # stamped after the newest head (so that it is current), and made from all of them
    merge = make_version(newest["type"], newest["village_id"], data, user["username"],
                         f"web-{user['username']}", record_id=newest["id"],
                         deleted=deleted, made_from=newest)
    merge["base"] = [base_of(v) for v in heads]
    result = save_versions(site, [merge], user, [newest["village_id"]])[0]
    if result["errors"]:
        raise BadRequest("Bản gộp chưa lưu được: " + " ".join(result["errors"].values()))
    audit.record(site, user["username"], "conflict.resolve", ids=[newest["id"]],
                 village_id=newest["village_id"], heads=len(heads),
                 how="keep" if request.form.get("keep") else "pick")
    flash(said, "ok")
    return redirect(back, code=303)


def _merged(heads, by_key):
    """(data, deleted, what to tell the user) of the merge the form asks for."""
    keep = request.form.get("keep", "")[:80]
    if keep:
        kept = by_key.get(keep)
        if kept is None:
            raise BadRequest("Bản được chọn không còn là một bên của xung đột; hãy tải lại trang.")
        names = people_names(get_site().store, [kept["village_id"]])
        return (kept["data"], kept["deleted"],
                f"Đã giữ bản của {names.get(kept['author'], kept['author'])} "
                f"({vn_time(kept['updated_at'])}).")
    newest = max(heads, key=_stamp)
    data, deleted = dict(newest["data"]), newest["deleted"]
    for field in differences(heads):
        side = by_key.get(request.form.get(f"pick.{field}", "")[:80])
        if side is None:
            raise BadRequest("Hãy chọn một bản cho mỗi mục khác nhau; trang có thể đã cũ, "
                             "hãy tải lại.")
        if field == "deleted":
            deleted = side["deleted"]
        elif field in side["data"]:
            data[field] = side["data"][field]
        else:
            data.pop(field, None)
    return data, deleted, "Đã lưu bản gộp từ các mục đã chọn."


def _stamp(version):
    return version["updated_at"], version["device_id"]
