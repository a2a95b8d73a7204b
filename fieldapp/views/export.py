"""The village lead's export page: a downloaded batch file counts as sent once confirmed."""

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from tinydb import Query

from fieldapp import audit, phone_consent
from fieldapp.auth.access import get_site, page
from fieldapp.forms.errors import BadRequest, Conflict
from fieldapp.forms.text import vn_number, vn_time
from fieldapp.views.forms import ActionForm, require_form_token
from sync import crypto, erasures, keys
from sync.batch import batch_bytes, gzip_bytes
from sync.export import build_batch, export_batch, export_marks, last_exported, mark_exported
from sync.push import PushFailed, saved_push, push_changes

bp = Blueprint("export", __name__)


# -------------------------------------------------------------- village export
#
# A browser download can fail after the server has sent it (a dropped Wi-Fi, a full USB
# stick, a cancelled save), and the server cannot tell. So a download is prepared as a
# pending batch that can be fetched again byte for byte (same batch id: the commune takes
# it once), and its changes count as sent only when the lead confirms the file is safe.
# Until then every new download starts from the last confirmed one and carries them again.
# Once the commune's key is known, each download is that batch sealed for it, afresh.

MAX_PENDING = 5          # per village (and for the admin's whole-site files)


def _scope(user):
    """The village a user exports: a lead their own (on a laptop of several villages a
    lead's file holds theirs only), the site's admin every village (None)."""
    return user["village_id"] if user["role"] == "lead" else None


def _in_scope(row, village_id):
    """Whether a prepared download belongs to the scope `village_id` (files prepared
    before exports were per village hold the whole site)."""
    return row.get("village_id") == village_id


def _covered(row, marks, sent=None):
    """Whether a prepared file of new changes was covered by a later confirmed export
    (its erasures too, when it carries some not sent before: `sent`, from
    sync.erasures.sent_until)."""
    villages = [row["village_id"]] if row.get("village_id") else list(marks)
    erased = row.get("erasures_at")
    return row["scope"] == "new" and all(marks.get(v, 0) >= row["until_seq"] for v in villages) \
        and (not erased or all((sent or {}).get(v, "") >= erased for v in villages))


def _pending(site, village_id):
    """Prepared downloads of a scope not yet confirmed, newest first (a file of new
    changes that a later export covered is no longer waiting for anything)."""
    marks, sent = export_marks(site), erasures.sent_until(site)
    with site.meta_lock:
        rows = [dict(r) for r in site.table("downloads").all()]
    rows = [r for r in rows if _in_scope(r, village_id) and not _covered(r, marks, sent)]
    return sorted(rows, key=lambda r: (r["created_at"], r["until_seq"]), reverse=True)


def _download_row(site, batch_id, village_id):
    """The prepared download `batch_id` (a string from the request) of a scope, or None
    (another village's file is not there for this lead)."""
    if not isinstance(batch_id, str) or len(batch_id) != 36:
        return None
    with site.meta_lock:
        row = site.table("downloads").get(Query().batch_id == batch_id)
    return dict(row) if row is not None and _in_scope(row, village_id) else None


def rebuild_pending(site, row):
    """The batch of a prepared download, the same bytes every time."""
    batch = build_batch(site, row["since_seq"], row["until_seq"], row["batch_id"],
                        row["created_at"], row.get("village_id"))
    if batch["records_sha256"] != row["records_sha256"]:
        raise Conflict("Dữ liệu của tệp này đã thay đổi; hãy chuẩn bị tệp mới.")
    return batch


def _prepare(site, everything, username, village_id):
    """Prepare a download of a scope's unconfirmed changes (or of everything); return
    its row."""
    batch = export_batch(site, all_versions=everything, remember=False, village_id=village_id)
    erased = erasures.unsent(site, batch)       # an erasure travels even without records
    if batch["record_count"] == 0 and not erased:
        return None
    scope = "all" if everything else "new"
    erased_at = max((e["at"] for e in erased), default=None)
    with site.meta_lock:
        table = site.table("downloads")
        earlier = next((r for r in table.all() if _in_scope(r, village_id)
                        and (r["since_seq"], r["until_seq"], r["scope"], r.get("erasures_at"))
                        == (batch["since_seq"], batch["until_seq"], scope, erased_at)), None)
        if earlier is not None:             # a second click: the same file again
            return dict(earlier)
        row = {"batch_id": batch["batch_id"], "since_seq": batch["since_seq"],
               "until_seq": batch["until_seq"], "record_count": batch["record_count"],
               "records_sha256": batch["records_sha256"], "created_at": batch["created_at"],
               "scope": scope, "by": username, "village_id": village_id,
               "village_ids": batch["site"]["village_ids"]}
        if erased_at:
            row.update(erasures_at=erased_at, erasures=len(erased))
        table.insert(row)
        mine = [r for r in table.all() if _in_scope(r, village_id)]
        stale = sorted(mine, key=lambda r: (r["created_at"], r.doc_id))[:-MAX_PENDING]
        if stale:
            table.remove(doc_ids=[r.doc_id for r in stale])
    return row


BAD_KEY = ("Khóa của xã lưu trên máy này không dùng được (bị sửa tay?), nên chưa tải tệp "
           "nào: nhập lại khóa do cán bộ xã đọc ra ở trang “Kết nối gửi lên xã”.")


def _sealing_key(site):
    """The commune's public key this village seals its files for, None when none is
    stored, or False when the one stored is no usable key (then nothing is downloaded:
    a file is never sent plain because a key was mistyped)."""
    try:
        return crypto.sealing_key(site.settings)
    except ValueError:
        return False


@bp.route("/export", methods=["GET", "POST"])
@page("lead", "admin", site_kind="village")
def export():
    """Prepare a download of the lead's village's changes (the admin's: of every village),
    or of everything, as a signed batch; list prepared files waiting for the lead to
    confirm they are safe on the USB stick."""
    site = get_site()
    village_id = _scope(g.user)
    if ActionForm().validate_on_submit():
        everything = request.form.get("scope") == "all"
        _remove_unconsented_phones(site)
        row = _prepare(site, everything, g.user["username"], village_id)
        if row is None:
            flash("Không có thay đổi nào chưa gửi: chưa cần tải tệp.", "ok")
        else:
            audit.record(site, g.user["username"], "export.prepare", batch_id=row["batch_id"],
                         count=row["record_count"], scope=row["scope"],
                         villages=row.get("village_ids"),
                         **({"erasures": row["erasures"]} if row.get("erasures") else {}))
            erased = f" và {vn_number(row['erasures'])} yêu cầu xóa dữ liệu" \
                if row.get("erasures") else ""
            flash(f"Đã chuẩn bị tệp {vn_number(row['record_count'])} thay đổi{erased}: bấm "
                  "“Tải tệp về”, chép vào USB, rồi bấm “Đã chép xong”.", "ok")
        return redirect(url_for("export.export"), code=303)
    if request.method == "POST":
        raise BadRequest("Phiên biểu mẫu không hợp lệ, hãy tải lại trang.")
    since = last_exported(site, village_id)
    villages = {village_id} if village_id else set(site.village_ids)
    unsent = len(site.store.versions_since(since, accept=lambda v: v["village_id"] in villages))
    pending = _pending(site, village_id)
    with site.meta_lock:
        rows = sorted((dict(r) for r in site.table("exports").all()
                       if villages & set(r.get("village_ids") or site.village_ids)),
                      key=lambda r: r["created_at"], reverse=True)[:10]
    for row in rows + pending:
        row["when"] = vn_time(row["created_at"])
        row["how"] = "qua mạng" if row.get("destination", "").startswith("http") else "tệp"
    village = site.village(village_id) if village_id and len(site.village_ids) > 1 else None
    return render_template("batches/export.html", pending=unsent, files=pending, rows=rows,
                           action=ActionForm(), sealing=_sealing_key(site), bad_key=BAD_KEY,
                           village=village, push=saved_push(site.settings),
                           fingerprint=keys.fingerprint(keys.create_site_key(site.data_dir)))


@bp.get("/export/file")
@page("lead", "admin", site_kind="village")
def export_file():
    """A prepared download: the .json.gz of its batch, the very same bytes every time; or,
    once the commune's key is known, that batch sealed for it (.enc). A lead gets only
    their own village's files."""
    site = get_site()
    village_id = _scope(g.user)
    row = _download_row(site, request.args.get("batch", ""), village_id)
    if row is None:
        flash("Không còn tệp này (đã xác nhận hoặc quá cũ). Hãy chuẩn bị tệp mới.", "error")
        return redirect(url_for("export.export"))
    key = _sealing_key(site)
    if key is False:
        flash(BAD_KEY, "error")
        return redirect(url_for("export.export"))
    body = gzip_bytes(batch_bytes(rebuild_pending(site, row)))
    if key is not None:
        body = crypto.seal(body, key)
    day = row["created_at"][:10].replace("-", "")
    prefix = village_id or (site.village_ids[0] if len(site.village_ids) == 1 else "thon")
    name = f"{prefix}-{day}-{row['until_seq']}{'-all' if row['scope'] == 'all' else ''}" \
           f"{'.enc' if key else '.json.gz'}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Cache-Control": "no-store"}
    audit.record(site, g.user["username"], "export.download", batch_id=row["batch_id"],
                 count=row["record_count"], sealed=key is not None)
    return Response(body, headers=headers,
                    mimetype="application/octet-stream" if key else "application/gzip")


@bp.post("/export/confirm")
@page("lead", "admin", site_kind="village")
def confirm_export():
    """The lead says a downloaded file is safe: its changes (of the lead's village only)
    now count as sent."""
    site = get_site()
    require_form_token()
    village_id = _scope(g.user)
    with site.meta_lock:                    # one confirmation moves the mark once
        row = _download_row(site, request.form.get("batch", ""), village_id)
        if row is None:
            flash("Không còn tệp này; không có gì thay đổi.", "error")
            return redirect(url_for("export.export"), code=303)
        if row["until_seq"] > last_exported(site, village_id) or row.get("erasures_at"):
            mark_exported(site, row, destination=f"download:{g.user['username']}")
        audit.record(site, g.user["username"], "export.confirm", batch_id=row["batch_id"],
                     count=row["record_count"])
        marks, table = export_marks(site), site.table("downloads")
        sent = erasures.sent_until(site)
        table.remove(doc_ids=[r.doc_id for r in table.all()
                              if r["batch_id"] == row["batch_id"] or _covered(r, marks, sent)])
    flash(f"Đã ghi nhận {vn_number(row['record_count'])} thay đổi đã chép ra tệp; lần sau chỉ "
          "tải các thay đổi mới hơn.", "ok")
    return redirect(url_for("export.export"), code=303)


PUSH_TIMEOUT = 30        # seconds a page waits for the commune: a phone's browser gives up


@bp.post("/export/push")
@page("lead", "admin", site_kind="village")
def push():
    """Send the unsent changes (of the lead's village; the admin's: of every village) to
    the commune address and token saved on this laptop, sealed when its key is known.
    They count as sent only once the commune answers with its receipt."""
    site = get_site()
    require_form_token()
    saved = saved_push(site.settings)
    if saved is None:
        flash("Máy này chưa lưu địa chỉ và mã gửi của xã: nhập một lần ở trang “Kết nối "
              "gửi lên xã”, hoặc dùng tệp USB.", "error")
        return redirect(url_for("export.export"), code=303)
    key = _sealing_key(site)
    if key is False:
        flash(BAD_KEY.replace("tải tệp nào", "gửi gì"), "error")
        return redirect(url_for("export.export"), code=303)
    _remove_unconsented_phones(site)
    try:
        answer, batch = push_changes(site, *saved, to_key=key, village_id=_scope(g.user),
                                     timeout=PUSH_TIMEOUT)
    except PushFailed as error:
        audit.record(site, g.user["username"], "export.push.refused", problem=error.problem)
        flash(error.message, "error")
        return redirect(url_for("export.export"), code=303)
    audit.record(site, g.user["username"], "export.push", batch_id=batch["batch_id"],
                 count=batch["record_count"], sealed=key is not None)
    flash(f"Đã gửi {vn_number(batch['record_count'])} thay đổi qua mạng"
          f"{' (đã mã hóa)' if key else ''}. Máy của xã trả lời: "
          f"{answer.get('message') or 'đã nhận lô.'}", "ok")
    return redirect(url_for("export.export"), code=303)


def _remove_unconsented_phones(site):
    """Before a file or a push: phones kept without consent go (else the commune refuses
    the batch), and the lead is told."""
    migrated = phone_consent.migrate_if_needed(site, g.user["username"])
    if migrated:
        flash(migrated, "ok")
