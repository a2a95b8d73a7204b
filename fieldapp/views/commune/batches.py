"""Sync batches at the commune: the push API, the import page, the history of batches per
sending site, held laptops, and per-site push tokens (only their hashes are stored)."""
import os

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from fieldapp import audit
from fieldapp.auth.access import bearer_token, get_site, page
from fieldapp.auth.accounts import user_for_token
from fieldapp.auth.push_tokens import (PUSH_PREFIX, issue_push_token, mark_used, push_token_row,
                                       revoke_push_token as revoke_token)
from fieldapp.forms.errors import FieldappError, Forbidden, NotFound
from fieldapp.forms.text import vn_number, vn_time
from fieldapp.records import people_names
from fieldapp.views.commune.blueprint import STAFF
from fieldapp.views.forms import ActionForm, csrf, require_form_token
from sync import crypto, keys
from sync.approval import approve_site, held_sites, refuse_site
from sync.batch import PUSH_LIMITS, UPLOAD_LIMITS
from sync.errors import BatchRejected
from sync.held import held_rows
from sync.senders import forget_site_key, imported_batches, known_sites
from sync.transfer import import_batch

bp = Blueprint("batches", __name__)
MAX_FILES = 20


def _log_import(site, actor, how, receipt=None, **details):
    """The audit entry of one batch received (`how`: push, upload): its id and counts."""
    if receipt is None:
        audit.record(site, actor, f"import.{how}.refused", **details)
        return
    audit.record(site, actor, f"import.{how}.{'held' if receipt.held else 'ok'}",
                 batch_id=receipt.batch_id, count=receipt.record_count, new=receipt.new,
                 duplicate=receipt.duplicate,
                 **({"erased": receipt.erased} if receipt.erased else {}), **details)


# -------------------------------------------------------------- push API

def _push_guard(site, token, row):
    """Refuse a batch from another village or another machine than the token's, or one
    whose token was revoked while it was read (run under the import's lock); once the
    batch is taken, the token is marked used by (and bound to) the sending laptop."""
    def authorize(batch):
        sender = batch["site"]
        if set(sender["village_ids"]) - {row["village_id"]}:
            raise Forbidden(f"Mã gửi này chỉ dùng cho thôn {row['village_id']}.")
        # read again under the lock: revoked (NotSignedIn) or bound meanwhile
        if push_token_row(site, token)["site_id"] not in (None, sender["id"]):
            raise Forbidden("Mã gửi này đã được một máy khác dùng; hãy xin cán bộ xã mã mới.")
        return lambda: mark_used(site, row, sender["id"])
    return authorize


@bp.post("/api/v1/batches")
@csrf.exempt
def receive():
    """Import a pushed batch (JSON or gzip body) → the receipt, or the JSON error."""
    site = get_site()
    token = bearer_token()
    authorize, row, limits = None, None, UPLOAD_LIMITS
    if token.startswith(PUSH_PREFIX):
        row = push_token_row(site, token)
        authorize, source, limits = _push_guard(site, token, row), f"push:{row['label']}", \
            PUSH_LIMITS
    else:
        user = user_for_token(site, token, "api")
        if user["role"] not in STAFF:
            raise Forbidden("Chỉ cán bộ xã hoặc mã gửi của thôn mới gửi được lô dữ liệu.")
        g.user, source = user, f"api:{user['username']}"
    if site.kind != "commune":
        raise NotFound("Máy này không phải máy của xã: không nhận lô dữ liệu.")
    body = request.get_data(cache=False)
    # a push token is named by its village and number, never by its label (free text)
    actor = f"push:{row['village_id']}" if row is not None else g.user["username"]
    detail = {"token": getattr(row, "doc_id", None)} if row is not None else {}
    try:
        if site.settings.get("require_sealed_push") and not crypto.is_sealed(body):
            key = crypto.create_box_key(site.data_dir)      # made at init; kept if it exists
            raise BatchRejected("not_sealed", "Xã chỉ nhận lô đã mã hóa qua mạng: lô gửi không "
                                              "mã hóa thì ai dùng chung mạng cũng đọc được. Ở "
                                              "máy của thôn chạy một lần `fieldapp commune-key "
                                              f"{key}`, rồi gửi lại.")
        receipt = import_batch(site, body, source=source, authorize=authorize, limits=limits)
    except FieldappError as error:
        _log_import(site, actor, "push", problem=(error.details or {}).get("problem"), **detail)
        raise
    _log_import(site, actor, "push", receipt, **detail)
    answer = jsonify({"receipt": receipt.as_json(), "message": receipt.summary()})
    if receipt.held:            # taken, but not counted until staff approve the laptop
        answer.status_code = 202
    return answer


# -------------------------------------------------------------- import page

class ImportForm(FlaskForm):
    files = FileField("Tệp lô dữ liệu (.json, .json.gz hoặc .enc đã niêm phong)",
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
                _log_import(site, g.user["username"], "upload",
                            problem=(error.details or {}).get("problem"))
                results.append({"name": name, "ok": False, "message": error.message,
                                "records": (error.details or {}).get("records", []),
                                "records_total": (error.details or {}).get("records_total", 0)})
            else:
                _log_import(site, g.user["username"], "upload", receipt)
                results.append({"name": name, "ok": True, "receipt": receipt,
                                "message": receipt.summary()})
    elif form.errors:
        status = 422
    conflicts_url = url_for("commune.conflicts")
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
        people = people_names(site.store, sender["village_ids"])
        for row in sender["batches"]:
            row["when"] = vn_time(row["imported_at"])
            # who wrote the batch: people's names from the roster records it brought
            row["people"] = [{"name": people.get(a) or a, "login": a}
                             for a in row.get("authors") or []]
    names = {v["id"]: v["name"] for v in site.settings.get("villages", [])}
    return render_template("batches/history.html", sites=sites, names=names,
                           action=ActionForm(), chosen=chosen, held=len(held_rows(site)))


@bp.post("/commune/batches/<site_id>/forget-key")
@page("admin", site_kind="commune")
def forget_key(site_id):
    """Unpin a sending site's key, for a village laptop that was reinstalled."""
    site = get_site()
    require_form_token()
    if not any(s["site_id"] == site_id for s in known_sites(site)):
        raise NotFound("Không có trạm gửi này.")
    forget_site_key(site, site_id)
    audit.record(site, g.user["username"], "site_key.forget", site_id=site_id)
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
    require_form_token()
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
        audit.record(site, g.user["username"], "laptop.approve", site_id=site_id[:40],
                     batches=[r.batch_id for r in decision.receipts], new=new,
                     failed=len(decision.failed))
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
        audit.record(site, g.user["username"], "laptop.refuse", site_id=site_id[:40],
                     count=decision.dropped)
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
            token = issue_push_token(site, village_id, label, g.user["username"])
            audit.record(site, g.user["username"], "push_token.issue", village_id=village_id)
            issued = {"token": token, "village": site.village(village_id)["name"],
                      "url": request.host_url,
                      "command": f"fieldapp push {request.host_url} --token {token} --save"}
            if os.path.exists(os.path.join(site.data_dir, crypto.BOX_KEY_FILE)):
                public = crypto.box_public_key(site.data_dir)
                issued.update(key=public, key_command=f"fieldapp commune-key {public}",
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
    require_form_token()
    required = request.form.get("required") == "1"
    if required:
        crypto.create_box_key(site.data_dir)      # what the villages will seal for
    site.update_settings(lambda settings: settings.update(require_sealed_push=required))
    audit.record(site, g.user["username"], "push.require_sealed", required=required)
    flash("Từ nay xã chỉ nhận lô đã mã hóa qua mạng." if required else
          "Xã nhận cả lô không mã hóa qua mạng.", "ok")
    return redirect(url_for("batches.push_tokens"), code=303)


@bp.post("/commune/push-tokens/<int:token_id>/revoke")
@page(*STAFF, site_kind="commune")
def revoke_push_token(token_id):
    """Revoke a push token: that laptop can no longer push."""
    site = get_site()
    require_form_token()
    revoke_token(site, token_id)
    audit.record(site, g.user["username"], "push_token.revoke", token=token_id)
    flash("Đã thu hồi mã gửi.", "ok")
    return redirect(url_for("batches.push_tokens"))
