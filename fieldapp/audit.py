"""The audit log of a site: who did what, when, to which records.

DATA/audit.log is append-only (storage.journal). An entry names the actor by login name,
the action, and record ids or counts, never personal data (no names, phones, addresses).
"""
import datetime
import os

from storage.journal import append_entry, entries_newest_first, read_entries

__all__ = ["record", "entries", "newest_first", "label", "ACTION_LABELS", "ACTION_GROUPS"]

# What people read for each action (the /audit page); an action not listed shows the label
# of its longest listed prefix, else itself.
ACTION_LABELS = {
    "login.ok": "Đăng nhập", "login.failed": "Đăng nhập sai", "login.locked":
        "Đăng nhập khi tài khoản đang tạm khóa", "logout": "Đăng xuất",
    "user.add": "Thêm tài khoản", "user.enable": "Mở lại tài khoản",
    "user.disable": "Khóa tài khoản", "user.unlock": "Gỡ khóa đăng nhập",
    "user.pin_reset": "Cấp lại mã PIN", "user.name": "Ghi họ tên người dùng tài khoản",
    "user": "Tài khoản",
    "backup": "Sao lưu dữ liệu", "restore": "Khôi phục dữ liệu",
    "export": "Xuất dữ liệu gửi xã", "export.cli": "Xuất dữ liệu gửi xã (dòng lệnh)",
    "import": "Nhận dữ liệu", "import.cli.ok": "Nhận lô dữ liệu (dòng lệnh)",
    "import.cli.held": "Giữ lại lô của máy lạ (dòng lệnh)",
    "import.cli.refused": "Từ chối lô dữ liệu (dòng lệnh)",
    "subject": "Yêu cầu về dữ liệu cá nhân",
    "subject.request": "Ghi nhận yêu cầu về dữ liệu cá nhân",
    "subject.answered": "Phản hồi người yêu cầu về dữ liệu cá nhân",
    "subject.done": "Hoàn thành yêu cầu về dữ liệu cá nhân",
    "subject.export": "Xuất dữ liệu của một người (dòng lệnh)",
    "subject.export.json": "Tải dữ liệu của một người (JSON)",
    "subject.export.pdf": "Tải dữ liệu của một người (PDF)",
    "subject.erase": "Xóa dữ liệu của một người", "purge": "Khử nhận dạng khi hết hạn lưu",
    "consent.phones": "Xóa số điện thoại không có đồng ý liên hệ",
    "export.prepare": "Chuẩn bị tệp gửi xã", "export.download": "Tải tệp gửi xã",
    "export.confirm": "Xác nhận đã chép tệp gửi xã", "export.push": "Gửi dữ liệu qua mạng",
    "export.push.refused": "Gửi qua mạng không thành", "push.cli": "Gửi dữ liệu qua mạng "
    "(dòng lệnh)", "push.cli.refused": "Gửi qua mạng không thành (dòng lệnh)",
    "import.upload": "Nhận tệp tải lên", "import.upload.refused": "Từ chối tệp tải lên",
    "import.upload.held": "Giữ lại tệp của máy lạ", "import.push": "Nhận lô gửi qua mạng",
    "import.push.refused": "Từ chối lô gửi qua mạng",
    "import.push.held": "Giữ lại lô của máy lạ (qua mạng)",
    "download": "Tải báo cáo, bảng số liệu", "laptop.approve": "Duyệt máy mới của thôn",
    "laptop.refuse": "Từ chối máy mới của thôn", "conflict.resolve": "Chọn bản đúng khi xung đột",
    "procedures": "Số liệu hồ sơ thủ tục", "targets.save": "Lưu chỉ tiêu của xã",
    "village.save": "Sửa thông tin thôn", "villages.import": "Nhập danh sách thôn",
    "push_token.issue": "Cấp mã gửi cho thôn", "push_token.revoke": "Thu hồi mã gửi",
    "push.require_sealed": "Đổi yêu cầu mã hóa lô gửi", "site_key.forget": "Quên khóa của máy thôn",
    "privacy_report": "Lập hồ sơ xử lý dữ liệu cá nhân", "restore.legacy":
        "Khôi phục bản sao lưu cũ không mã hóa",
    "rollup.cli": "Lập số liệu tổng hợp gửi tỉnh",
    "download.rollup": "Tải số liệu tổng hợp gửi tỉnh", "rollup.import": "Nhận số liệu tổng hợp của xã",
    "rollup.import.refused": "Từ chối số liệu tổng hợp của xã",
    "commune_targets.save": "Lưu chỉ tiêu các xã", "commune_targets.import":
        "Nhập chỉ tiêu các xã từ tệp", "commune_targets.import.refused":
        "Từ chối tệp chỉ tiêu các xã", "commune_targets.cli": "Nhập chỉ tiêu từ tệp (dòng lệnh)",
    "villages.import.refused": "Từ chối tệp phụ lục thôn",
    "rollup.push": "Nhận số liệu tổng hợp của xã qua mạng",
    "rollup.push.refused": "Từ chối số liệu tổng hợp gửi qua mạng",
    "rollup.sent": "Gửi số liệu tổng hợp lên tỉnh qua mạng",
    "rollup.sent.refused": "Gửi số liệu lên tỉnh không thành",
    "rollup_token.issue": "Cấp mã gửi cho xã", "rollup_token.revoke": "Thu hồi mã gửi của xã",
}
# the filter of the /audit page: (action prefix, label)
ACTION_GROUPS = (("login", "Đăng nhập"), ("logout", "Đăng xuất"), ("user", "Tài khoản"),
                 ("export", "Xuất dữ liệu"), ("import", "Nhận dữ liệu"),
                 ("subject", "Yêu cầu về dữ liệu cá nhân"), ("purge", "Khử nhận dạng"),
                 ("download", "Tải báo cáo"), ("push", "Gửi qua mạng"),
                 ("rollup", "Số liệu tổng hợp"), ("backup", "Sao lưu"),
                 ("restore", "Khôi phục"))


def _path(site):
    return os.path.join(site.data_dir, "audit.log")


def record(site, actor, action, **details):
    """Append an entry: `actor` a login name (or "cli"/"system"), `action` a short
    dotted word such as "login.ok", `details` ids and counts only."""
    entry = {"at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "actor": actor or "", "action": action}
    entry.update(details)
    return append_entry(_path(site), entry)


def entries(site, action=None):
    """The entries of the log, oldest first, optionally those of one action prefix."""
    found = read_entries(_path(site))
    if action:
        found = [e for e in found if e.get("action", "").startswith(action)]
    return found


def newest_first(site, action=None):
    """Yield the entries newest first, optionally of one action prefix; reads the log
    backwards, so a page of the newest entries costs a page, not the whole log."""
    for entry in entries_newest_first(_path(site)):
        if not action or entry.get("action", "").startswith(action):
            yield entry


def label(action):
    """The Vietnamese words for an action (see ACTION_LABELS)."""
    name = action or ""
    while name:
        if name in ACTION_LABELS:
            return ACTION_LABELS[name]
        name = name.rpartition(".")[0]
    return action or ""
