"""Sync batches on the web. At the commune: the push API, the import page, the history of
batches per sending site, and per-site push tokens (only their hashes are stored). At a
village: the lead's export page, where a downloaded file counts as sent once confirmed."""
import datetime
import hashlib
import os
import secrets

from flask import (Blueprint, Response, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from tinydb import Query
from wtforms import SelectField, StringField

from fieldapp import csrf
from fieldapp.access import get_site, page
from fieldapp.auth import user_for_token
from fieldapp.errors import BadRequest, Conflict, FieldappError, Forbidden, NotFound, NotSignedIn
from fieldapp.forms import ActionForm
from fieldapp.text import vn_number, vn_time
from sync import crypto, keys
from sync.approval import approve_site, held_sites, refuse_site
from sync.batch import PUSH_LIMITS, UPLOAD_LIMITS, batch_bytes, gzip_bytes
from sync.errors import BatchRejected
from sync.held import held_rows
from sync.transfer import (build_batch, export_batch, forget_site_key, import_batch, imported_batches,
                           export_marks, known_sites, last_exported, mark_exported)

bp = Blueprint("batches", __name__)
STAFF = ("staff", "admin")
PUSH_PREFIX = "fa-push-"
MAX_FILES = 20


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# -------------------------------------------------------------- push API

def _push_token_row(site, token):
    """The live push-token row of a bearer token; raise NotSignedIn."""
    with site.meta_lock:
        row = site.table("push_tokens").get(Query().hash == _hash(token))
    if row is None or row["revoked"]:
        raise NotSignedIn("Mã gửi dữ liệu không hợp lệ hoặc đã bị thu hồi.")
    return row


def _push_guard(row):
    """Refuse a batch from another village or another machine than the token's."""
    def authorize(batch):
        sender = batch["site"]
        if set(sender["village_ids"]) - {row["village_id"]}:
            raise Forbidden(f"Mã gửi này chỉ dùng cho thôn {row['village_id']}.")
        if row.get("site_id") and row["site_id"] != sender["id"]:
            raise Forbidden("Mã gửi này đã được một máy khác dùng; hãy xin cán bộ xã mã mới.")
    return authorize


@bp.post("/api/v1/batches")
@csrf.exempt
def receive():
    """Import a pushed batch (JSON or gzip body) → the receipt, or the JSON error."""
    site = get_site()
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise NotSignedIn("Thiếu mã đăng nhập: gửi tiêu đề Authorization: Bearer TOKEN.")
    token = header[7:].strip()
    authorize, row, limits = None, None, UPLOAD_LIMITS
    if token.startswith(PUSH_PREFIX):
        row = _push_token_row(site, token)
        authorize, source, limits = _push_guard(row), f"push:{row['label']}", PUSH_LIMITS
    else:
        user = user_for_token(site, token, "api")
        if user["role"] not in STAFF:
            raise Forbidden("Chỉ cán bộ xã hoặc mã gửi của thôn mới gửi được lô dữ liệu.")
        g.user, source = user, f"api:{user['username']}"
    if site.kind != "commune":
        raise NotFound("Máy này không phải máy của xã: không nhận lô dữ liệu.")
    body = request.get_data(cache=False)
    if site.settings.get("require_sealed_push") and not crypto.is_sealed(body):
        key = crypto.create_box_key(site.data_dir)      # made at init; kept if it exists
        raise BatchRejected("not_sealed", "Xã chỉ nhận lô đã mã hóa qua mạng: lô gửi không mã "
                                          "hóa thì ai dùng chung mạng cũng đọc được. Ở máy của "
                                          f"thôn chạy một lần `fieldapp commune-key {key}`, "
                                          "rồi gửi lại.")
    receipt = import_batch(site, body, source=source, authorize=authorize, limits=limits)
    if row is not None:
        with site.meta_lock:
            site.table("push_tokens").update({"site_id": receipt.site_id, "last_used": _now()},
                                             doc_ids=[row.doc_id])
    answer = jsonify({"receipt": receipt.as_json(), "message": receipt.summary()})
    if receipt.held:            # taken, but not counted until staff approve the laptop
        answer.status_code = 202
    return answer


# -------------------------------------------------------------- import page

class ImportForm(FlaskForm):
    files = FileField("Tệp lô dữ liệu (.json hoặc .json.gz)",
                      render_kw={"multiple": True, "accept": ".json,.gz,.enc,application/json,application/gzip"})


@bp.route("/commune/import", methods=["GET", "POST"])
@page(*STAFF, site_kind="commune")
def imports():
    """Upload batch files; show each one's receipt or why it was refused."""
    site = get_site()
    form = ImportForm()
    results, status = [], 200
    if form.validate_on_submit():
        uploads = [f for f in request.files.getlist("files") if f and f.filename][:MAX_FILES]
        if not uploads:
            form.files.errors = ["Hãy chọn ít nhất một tệp lô dữ liệu."]
            status = 422
        for upload in uploads:
            name = upload.filename[:120]
            try:
                receipt = import_batch(site, upload.read(), source=f"upload:{name}",
                                       limits=UPLOAD_LIMITS)
            except FieldappError as error:
                status = 422
                results.append({"name": name, "ok": False, "message": error.message,
                                "records": (error.details or {}).get("records", []),
                                "records_total": (error.details or {}).get("records_total", 0)})
            else:
                results.append({"name": name, "ok": True, "receipt": receipt,
                                "message": receipt.summary()})
    elif form.errors:
        status = 422
    conflicts_url = url_for("commune.conflicts") \
        if "commune.conflicts" in current_app.view_functions else None
    return render_template("batches/import.html", form=form, results=results,
                           recent=imported_batches(site)[:5], conflicts_url=conflicts_url,
                           held=len(held_rows(site))), status


# -------------------------------------------------------------- history

@bp.get("/commune/batches")
@page(*STAFF, site_kind="commune")
def history():
    """The batches received, grouped by sending site, newest first."""
    site = get_site()
    batches = imported_batches(site)
    chosen = request.args.get("site", "")[:40]
    sites = known_sites(site)
    if chosen:
        sites = [s for s in sites if s["site_id"] == chosen]
        if not sites:
            raise NotFound("Không có trạm gửi này.")
    for sender in sites:
        sender["batches"] = [b for b in batches if b["site_id"] == sender["site_id"]]
        sender["fingerprint"] = keys.fingerprint(sender["public_key"]) \
            if sender["public_key"] else None
        sender["versions"] = sum(b["new"] for b in sender["batches"])
        sender["last_import"] = sender["batches"][0]["imported_at"] if sender["batches"] \
            else sender["first_seen"]
        for key in ("first_seen", "last_import"):
            sender[key + "_local"] = vn_time(sender.get(key))
        for row in sender["batches"]:
            row["when"] = vn_time(row["imported_at"])
    names = {v["id"]: v["name"] for v in site.settings.get("villages", [])}
    return render_template("batches/history.html", sites=sites, names=names,
                           action=ActionForm(), chosen=chosen, held=len(held_rows(site)))


@bp.post("/commune/batches/<site_id>/forget-key")
@page("admin", site_kind="commune")
def forget_key(site_id):
    """Unpin a sending site's key, for a village laptop that was reinstalled."""
    site = get_site()
    if not ActionForm().validate_on_submit():
        raise FieldappError("Phiên biểu mẫu không hợp lệ, hãy tải lại trang.")
    if not any(s["site_id"] == site_id for s in known_sites(site)):
        raise NotFound("Không có trạm gửi này.")
    forget_site_key(site, site_id)
    flash("Đã gỡ khóa cũ: lô tiếp theo của trạm này sẽ ghi nhận khóa mới.", "ok")
    return redirect(url_for("batches.history"))


# -------------------------------------------------------------- new laptops held

@bp.get("/commune/sites")
@page(*STAFF, site_kind="commune")
def held_laptops():
    """New laptops whose batches are held: both key fingerprints, to approve or refuse."""
    site = get_site()
    waiting = held_sites(site)
    for entry in waiting:
        for row in entry["batches"]:
            row["when"] = vn_time(row["received_at"])
        for known in entry["claimed"]:
            known["first_seen_local"] = vn_time(known["first_seen"])
    names = {v["id"]: v["name"] for v in site.settings.get("villages", [])}
    return render_template("batches/held.html", waiting=waiting, names=names,
                           action=ActionForm())


def _decided_laptop():
    """The public key (base64) an approve or refuse form names, as staff were shown it;
    raise BadRequest unless its CSRF token is valid."""
    if not ActionForm().validate_on_submit():
        raise BadRequest("Phiên biểu mẫu không hợp lệ, hãy tải lại trang.")
    return request.form.get("public_key", "")[:100]


@bp.post("/commune/sites/<site_id>/approve")
@page(*STAFF, site_kind="commune")
def approve_laptop(site_id):
    """Approve a new laptop: pin its key and import its held batches."""
    site = get_site()
    decision = approve_site(site, site_id[:40], _decided_laptop(), g.user["username"])
    if not decision.found:
        flash("Máy này không còn lô nào chờ duyệt (có thể cán bộ khác vừa duyệt hoặc từ "
              "chối); không có gì thay đổi.", "error")
    else:
        new = sum(r.new for r in decision.receipts)
        flash(f"Đã duyệt máy mới và nhận {vn_number(len(decision.receipts))} lô "
              f"({vn_number(new)} bản ghi mới).", "ok")
        for row, message in decision.failed:
            flash(f"Lô nhận lúc {vn_time(row['received_at'])} bị từ chối: {message}", "error")
    return redirect(url_for("batches.held_laptops"), code=303)


@bp.post("/commune/sites/<site_id>/refuse")
@page(*STAFF, site_kind="commune")
def refuse_laptop(site_id):
    """Refuse a new laptop: its held batches are dropped, nothing of them is kept."""
    site = get_site()
    decision = refuse_site(site, site_id[:40], _decided_laptop())
    if not decision.found:
        flash("Máy này không còn lô nào chờ duyệt (có thể cán bộ khác vừa duyệt hoặc từ "
              "chối); không có gì thay đổi.", "error")
    else:
        flash(f"Đã từ chối máy này và xóa {vn_number(decision.dropped)} lô chờ duyệt của nó.",
              "ok")
    return redirect(url_for("batches.held_laptops"), code=303)


# -------------------------------------------------------------- push tokens

class PushTokenForm(FlaskForm):
    village_id = SelectField("Thôn", validate_choice=False)
    label = StringField("Ghi chú (ví dụ: máy tính của tổ trưởng)",
                        render_kw={"maxlength": 60})


@bp.route("/commune/push-tokens", methods=["GET", "POST"])
@page(*STAFF, site_kind="commune")
def push_tokens():
    """Issue a push token for one village's laptop; list and revoke the others."""
    site = get_site()
    villages = site.settings.get("villages", [])
    form = PushTokenForm()
    form.village_id.choices = [(v["id"], v["name"]) for v in villages]
    issued, status = None, 200
    if form.validate_on_submit():
        village_id = form.village_id.data
        label = (form.label.data or "").strip()[:60]
        if site.village(village_id) is None:
            form.village_id.errors = ["Hãy chọn một thôn của xã."]
            status = 422
        else:
            token = PUSH_PREFIX + secrets.token_urlsafe(32)
            with site.meta_lock:
                site.table("push_tokens").insert({
                    "hash": _hash(token), "village_id": village_id,
                    "label": label or site.village(village_id)["name"],
                    "created_at": _now(), "created_by": g.user["username"],
                    "revoked": False, "site_id": None, "last_used": None})
            issued = {"token": token, "village": site.village(village_id)["name"],
                      "command": f"fieldapp push {request.host_url} --token {token}"}
            if os.path.exists(os.path.join(site.data_dir, crypto.BOX_KEY_FILE)):
                public = crypto.box_public_key(site.data_dir)
                issued.update(key_command=f"fieldapp commune-key {public}",
                              fingerprint=keys.fingerprint(public))
    elif form.errors:
        status = 422
    with site.meta_lock:
        rows = [dict(r, doc_id=r.doc_id) for r in site.table("push_tokens").all()]
    rows.sort(key=lambda r: (r["revoked"], r["created_at"]))
    for row in rows:
        row["created_local"], row["used_local"] = vn_time(row["created_at"]), vn_time(row["last_used"])
    names = {v["id"]: v["name"] for v in villages}
    return render_template("batches/push_tokens.html", form=form, rows=rows, names=names,
                           issued=issued, action=ActionForm(),
                           sealed_only=bool(site.settings.get("require_sealed_push"))), status


@bp.post("/commune/push-tokens/sealing")
@page(*STAFF, site_kind="commune")
def push_sealing():
    """Staff choose whether pushed batches must be sealed for the commune's key."""
    site = get_site()
    if not ActionForm().validate_on_submit():
        raise BadRequest("Phiên biểu mẫu không hợp lệ, hãy tải lại trang.")
    required = request.form.get("required") == "1"
    if required:
        crypto.create_box_key(site.data_dir)      # what the villages will seal for
    site.update_settings(lambda settings: settings.update(require_sealed_push=required))
    flash("Từ nay xã chỉ nhận lô đã mã hóa qua mạng." if required else
          "Xã nhận cả lô không mã hóa qua mạng.", "ok")
    return redirect(url_for("batches.push_tokens"), code=303)


@bp.post("/commune/push-tokens/<int:token_id>/revoke")
@page(*STAFF, site_kind="commune")
def revoke_push_token(token_id):
    """Revoke a push token: that laptop can no longer push."""
    site = get_site()
    if not ActionForm().validate_on_submit():
        raise FieldappError("Phiên biểu mẫu không hợp lệ, hãy tải lại trang.")
    with site.meta_lock:
        table = site.table("push_tokens")
        if table.get(doc_id=token_id) is None:
            raise NotFound("Không có mã gửi này.")
        table.update({"revoked": True}, doc_ids=[token_id])
    flash("Đã thu hồi mã gửi.", "ok")
    return redirect(url_for("batches.push_tokens"))


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


def _covered(row, marks):
    """Whether a prepared file of new changes was covered by a later confirmed export."""
    villages = [row["village_id"]] if row.get("village_id") else list(marks)
    return row["scope"] == "new" and all(marks.get(v, 0) >= row["until_seq"] for v in villages)


def _pending(site, village_id):
    """Prepared downloads of a scope not yet confirmed, newest first (a file of new
    changes that a later export covered is no longer waiting for anything)."""
    marks = export_marks(site)
    with site.meta_lock:
        rows = [dict(r) for r in site.table("downloads").all()]
    rows = [r for r in rows if _in_scope(r, village_id) and not _covered(r, marks)]
    return sorted(rows, key=lambda r: (r["created_at"], r["until_seq"]), reverse=True)


def _download_row(site, batch_id, village_id):
    """The prepared download `batch_id` (a string from the request) of a scope, or None
    (another village's file is not there for this lead)."""
    if not isinstance(batch_id, str) or len(batch_id) != 36:
        return None
    with site.meta_lock:
        row = site.table("downloads").get(Query().batch_id == batch_id)
    return dict(row) if row is not None and _in_scope(row, village_id) else None


def _rebuild(site, row):
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
    if batch["record_count"] == 0:
        return None
    scope = "all" if everything else "new"
    with site.meta_lock:
        table = site.table("downloads")
        earlier = next((r for r in table.all() if _in_scope(r, village_id)
                        and (r["since_seq"], r["until_seq"], r["scope"])
                        == (batch["since_seq"], batch["until_seq"], scope)), None)
        if earlier is not None:             # a second click: the same file again
            return dict(earlier)
        row = {"batch_id": batch["batch_id"], "since_seq": batch["since_seq"],
               "until_seq": batch["until_seq"], "record_count": batch["record_count"],
               "records_sha256": batch["records_sha256"], "created_at": batch["created_at"],
               "scope": scope, "by": username, "village_id": village_id,
               "village_ids": batch["site"]["village_ids"]}
        table.insert(row)
        mine = [r for r in table.all() if _in_scope(r, village_id)]
        stale = sorted(mine, key=lambda r: (r["created_at"], r.doc_id))[:-MAX_PENDING]
        if stale:
            table.remove(doc_ids=[r.doc_id for r in stale])
    return row


BAD_KEY = ("Khóa của xã lưu trên máy này không dùng được (bị sửa tay?), nên chưa tải tệp "
           "nào: chạy lại `fieldapp commune-key KHÓA` với khóa do cán bộ xã đọc ra.")


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
        row = _prepare(site, everything, g.user["username"], village_id)
        if row is None:
            flash("Không có thay đổi nào chưa gửi: chưa cần tải tệp.", "ok")
        else:
            flash(f"Đã chuẩn bị tệp {vn_number(row['record_count'])} bản ghi: bấm “Tải tệp "
                  "về”, chép vào USB, rồi bấm “Đã chép xong”.", "ok")
        return redirect(url_for("batches.export"), code=303)
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
                           village=village,
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
        return redirect(url_for("batches.export"))
    key = _sealing_key(site)
    if key is False:
        flash(BAD_KEY, "error")
        return redirect(url_for("batches.export"))
    body = gzip_bytes(batch_bytes(_rebuild(site, row)))
    if key is not None:
        body = crypto.seal(body, key)
    day = row["created_at"][:10].replace("-", "")
    prefix = village_id or (site.village_ids[0] if len(site.village_ids) == 1 else "thon")
    name = f"{prefix}-{day}-{row['until_seq']}{'-all' if row['scope'] == 'all' else ''}" \
           f"{'.enc' if key else '.json.gz'}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Cache-Control": "no-store"}
    return Response(body, headers=headers,
                    mimetype="application/octet-stream" if key else "application/gzip")


@bp.post("/export/confirm")
@page("lead", "admin", site_kind="village")
def confirm_export():
    """The lead says a downloaded file is safe: its changes (of the lead's village only)
    now count as sent."""
    site = get_site()
    if not ActionForm().validate_on_submit():
        raise BadRequest("Phiên biểu mẫu không hợp lệ, hãy tải lại trang.")
    village_id = _scope(g.user)
    with site.meta_lock:                    # one confirmation moves the mark once
        row = _download_row(site, request.form.get("batch", ""), village_id)
        if row is None:
            flash("Không còn tệp này; không có gì thay đổi.", "error")
            return redirect(url_for("batches.export"), code=303)
        if row["until_seq"] > last_exported(site, village_id):
            mark_exported(site, row, destination=f"download:{g.user['username']}")
        marks, table = export_marks(site), site.table("downloads")
        table.remove(doc_ids=[r.doc_id for r in table.all()
                              if r["batch_id"] == row["batch_id"] or _covered(r, marks)])
    flash(f"Đã ghi nhận {vn_number(row['record_count'])} bản ghi đã chép ra tệp; lần sau chỉ "
          "tải các thay đổi mới hơn.", "ok")
    return redirect(url_for("batches.export"), code=303)
