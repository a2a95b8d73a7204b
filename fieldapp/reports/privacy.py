"""The record of processing and impact-assessment summary of a site (Law 91/2025/QH15,
Decree 356/2025/NĐ-CP): `fieldapp privacy-report --out FILE.pdf`.

Everything in it comes from the site itself: its settings (commune, campaign, retention,
the commune's key, sealed pushes), the record rules (which fields are kept, which of them
identify a person: fieldapp.forms.erasure), the stored records (counts only, never a
name), the accounts (counts by role), the audit log (its size) and, where a log of
subject requests exists on this site, the requests still open.
"""
import datetime
import os

from fieldapp.forms.erasure import IDENTIFYING
from fieldapp.forms.rules import RULES, TYPE_LABELS
from fieldapp.retention import purge_date, retention_days

__all__ = ["PURPOSES", "privacy_data", "render_privacy_html", "render_privacy_pdf"]

# the purposes a citizen consents to, one by one (SPEC §3 `consent.purposes`)
PURPOSES = {
    "campaign_support": ("Hỗ trợ sử dụng dịch vụ công trực tuyến",
                         "Ghi nhận hộ, thành viên, lần đến nhà và việc đã hỗ trợ (VNeID, "
                         "nộp hồ sơ, thanh toán trực tuyến) để tổ công nghệ số cộng đồng "
                         "giúp đúng người và xã theo dõi chỉ tiêu của kế hoạch."),
    "satisfaction_survey": ("Khảo sát mức độ hài lòng",
                            "Ghi mức độ hài lòng với thủ tục hành chính và ý kiến của người "
                            "được hỏi; ý kiến chỉ được giữ khi người đó đồng ý mục đích này."),
    "phone_contact": ("Liên hệ qua điện thoại",
                      "Giữ số điện thoại để tổ hẹn lại hoặc hướng dẫn thêm; số điện thoại "
                      "chỉ được giữ khi có đồng ý mục đích này."),
}

# what each record type tells about a person, in words (the rules' labels give the fields)
SUBJECTS = {"household": "Chủ hộ", "person": "Thành viên của hộ",
            "visit": "Hộ được đến thăm", "survey": "Người được khảo sát"}


def _categories():
    """Per record type: its label, who it is about, identifying and other fields."""
    rows = []
    for kind in ("household", "person", "visit", "survey"):
        identifying = IDENTIFYING.get(kind, ())
        fields = [f for f in RULES[kind] if f.kind != "ref"]
        rows.append({"type": TYPE_LABELS[kind], "subject": SUBJECTS[kind],
                     "identifying": [f.label for f in fields if f.name in identifying],
                     "other": [f.label for f in fields if f.name not in identifying]})
    return rows


def _counts(site):
    """Current records by type (tombstones apart), versions stored, consents by purpose,
    records already de-identified."""
    from fieldapp.forms.erasure import is_deidentified
    by_type, consents, erased, deleted = {}, dict.fromkeys(PURPOSES, 0), 0, 0
    currents = site.store.currents()
    for version in currents:
        if version.get("deleted"):
            deleted += 1
            continue
        kind = version.get("type")
        by_type[kind] = by_type.get(kind, 0) + 1
        data = version.get("data") or {}
        consent = data.get("consent") if isinstance(data, dict) else None
        if isinstance(consent, dict):
            for purpose in consent.get("purposes") or ():
                if purpose in consents:
                    consents[purpose] += 1
        if kind in IDENTIFYING and is_deidentified(version):
            erased += 1
    rows = [{"label": TYPE_LABELS.get(kind, kind), "count": by_type.get(kind, 0)}
            for kind in ("household", "person", "visit", "survey")]
    return {"rows": rows, "versions": len(site.store), "deleted": deleted,
            "deidentified": erased, "consents": consents}


def _accounts(site):
    """Accounts by role (its Vietnamese label), and how many are disabled (no names)."""
    from fieldapp.auth.accounts import ROLE_LABELS, list_users
    by_role, disabled = dict.fromkeys(ROLE_LABELS, 0), 0
    for user in list_users(site):
        by_role[user["role"]] = by_role.get(user["role"], 0) + 1
        disabled += not user.get("active", True)
    return {"rows": [{"label": ROLE_LABELS.get(role, role), "count": n}
                     for role, n in by_role.items()], "disabled": disabled}


def _open_requests(site):
    """The open requests of data subjects [{kind, kind_label, received, deadline}], oldest
    first."""
    from fieldapp.subject_requests import KIND_LABELS, all_requests
    return [{"kind": r["kind"], "kind_label": KIND_LABELS.get(r["kind"], r["kind"]),
             "received": r["received"], "deadline": r["deadline"]}
            for r in all_requests(site) if r["status"] == "open"]


def _security(site):
    """The measures in place, each with what this site's settings say of it."""
    from fieldapp import audit
    from fieldapp.auth.accounts import LOCK_MINUTES, MAX_FAILURES
    from sync import crypto
    settings = site.settings
    if site.kind == "commune":
        sealed = os.path.exists(os.path.join(site.data_dir, crypto.BOX_KEY_FILE))
        sealed_text = ("Có khóa giải mã của xã: thôn mã hóa lô cho khóa này"
                       + ("; xã chỉ nhận lô đã mã hóa qua mạng." if
                          settings.get("require_sealed_push") else
                          "; xã vẫn nhận lô không mã hóa qua mạng (có thể tắt ở trang mã gửi)."))
        if not sealed:
            sealed_text = "Chưa có khóa mã hóa của xã: chạy lệnh “fieldapp commune-key”."
    else:
        sealed = bool(settings.get("commune_public_key"))
        sealed_text = ("Đã lưu khóa công khai của xã: mọi tệp xuất và lô gửi đều được mã hóa."
                       if sealed else "CHƯA lưu khóa của xã: tệp xuất ra USB chưa được mã hóa "
                                      "(chạy lệnh “fieldapp commune-key KHÓA”).")
    logged = len(audit.entries(site))
    return [
        ("Lô dữ liệu có chữ ký số", "Mỗi lô gửi từ thôn lên xã được ký bằng khóa Ed25519 "
                                   "của máy gửi; lô bị sửa hoặc từ máy lạ bị từ chối hoặc "
                                   "giữ lại chờ cán bộ duyệt."),
        ("Tệp xuất và lô gửi được mã hóa", sealed_text),
        ("Mã PIN, mật khẩu được băm", "PIN và mật khẩu chỉ lưu dạng băm scrypt; mã truy cập "
                                      "của điện thoại lưu dạng băm."),
        ("Khóa tài khoản khi đoán sai",
         f"Sau {MAX_FAILURES} lần nhập sai, tài khoản bị khóa {LOCK_MINUTES} phút."),
        ("Chống giả mạo biểu mẫu (CSRF)", "Mọi biểu mẫu trên trang đều có mã CSRF."),
        ("Nhật ký truy cập", f"Nhật ký chỉ ghi thêm: đăng nhập, tải báo cáo, xuất nhập dữ "
                             f"liệu, yêu cầu của người dân; ghi mã bản ghi, không ghi tên. "
                             f"Hiện có {logged} mục."),
        ("Bản sao lưu được mã hóa", "Lệnh “fieldapp backup” mã hóa bản sao lưu bằng cụm mật khẩu "
                                    "(scrypt, AES-256-GCM); không có cụm mật khẩu thì không "
                                    "đọc hay khôi phục được."),
        ("Xóa và hết hạn lưu trữ", "Khi người dân yêu cầu xóa hoặc hết thời hạn lưu trữ, các "
                                   "trường định danh bị xóa khỏi mọi phiên bản, số liệu tổng "
                                   "hợp giữ nguyên."),
    ], sealed


def _flows(site):
    """Where the data goes, as lines of text."""
    return [
        "Điện thoại của tình nguyện viên → máy tính của thôn, qua Wi-Fi của thôn (không cần "
        "Internet); điện thoại chỉ giữ dữ liệu của thôn mình và tự xóa khi đăng xuất, khi "
        "tài khoản bị khóa hoặc sau 14 ngày không đồng bộ.",
        "Máy của thôn → máy của xã: lô dữ liệu có chữ ký, mã hóa cho khóa của xã, chép qua "
        "USB hoặc gửi qua mạng.",
        "Xã → huyện, tỉnh: chỉ số liệu tổng hợp (báo cáo tiến độ, bảng chỉ số); không gửi "
        "tên, địa chỉ hay số điện thoại của người dân.",
        "Không chuyển dữ liệu ra nước ngoài, không dùng dịch vụ đám mây, không chia sẻ cho "
        "bên thứ ba.",
    ]


def privacy_data(site, today=None):
    """What the record of processing says of `site`, as plain values for the template."""
    settings = site.settings
    today = today or datetime.date.today()
    campaign = settings.get("campaign") or {}
    security, sealed = _security(site)
    requests = _open_requests(site)
    purge_on = purge_date(settings)
    return {
        "settings": settings, "today": today, "is_village": site.kind == "village",
        "commune": settings.get("commune_name", ""), "province": settings.get("province_name", ""),
        "commune_code": settings.get("commune_code", ""), "site_name": settings.get("site_name", ""),
        "issuer": (settings.get("document") or {}).get("issuer")
        or f"UBND {settings.get('commune_name', '')}".upper(),
        "villages": [v.get("name", v.get("id")) for v in settings.get("villages", [])],
        "campaign": campaign, "purposes": [{"key": k, "label": label, "text": text}
                                           for k, (label, text) in PURPOSES.items()],
        "categories": _categories(), "counts": _counts(site), "accounts": _accounts(site),
        "flows": _flows(site), "security": security, "sealed": sealed,
        "retention_days": retention_days(settings), "purge_on": purge_on,
        "purge_due": today >= purge_on, "requests": requests,
    }


STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")


def render_privacy_html(site, today=None):
    """The record as one HTML document, the reports' print CSS inline."""
    import jinja2
    from markupsafe import Markup

    from fieldapp.forms import text
    env = jinja2.Environment(loader=jinja2.PackageLoader("fieldapp", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_date=text.vn_date, vn_number=text.vn_number)
    with open(os.path.join(STATIC, "report.css"), encoding="utf-8") as handle:
        css = Markup(handle.read())
    return env.get_template("report/privacy.html").render(data=privacy_data(site, today),
                                                          css=css)


def render_privacy_pdf(site, today=None):
    """The PDF's bytes."""
    from fieldapp.reports.pdf import render_pdf
    return render_pdf(render_privacy_html(site, today), base_url=STATIC)
