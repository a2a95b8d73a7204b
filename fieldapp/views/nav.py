"""The navigation tabs: one list; a tab shows when its endpoint exists and the role fits."""
from flask import url_for

__all__ = ["NAV", "nav_links"]

# (endpoint, label, roles, site kind)
NAV = [
    ("village.households", "Hộ dân", ("volunteer", "lead"), "village"),
    ("round.app", "Đi vòng", ("volunteer", "lead"), "village"),
    ("village.dashboard", "Chỉ số", ("lead", "admin"), "village"),
    ("team.volunteers", "Tổ viên", ("lead", "admin"), "village"),
    ("round.login_cards", "Thẻ đăng nhập", ("lead", "admin"), "village"),
    ("export.export", "Gửi lên xã", ("lead", "admin"), "village"),
    ("conflicts.index", "Xung đột", ("lead", "admin"), "village"),
    ("village.settings", "Cài đặt", ("admin",), "village"),
    ("subjects.index", "Yêu cầu dữ liệu", ("lead",), "village"),
    ("commune.dashboard", "Chỉ số xã", ("staff", "admin"), "commune"),
    ("batches.imports", "Nhận dữ liệu", ("staff", "admin"), "commune"),
    ("commune.villages", "Thôn & chỉ tiêu", ("staff", "admin"), "commune"),
    ("commune.conflicts", "Xung đột", ("staff", "admin"), "commune"),
    ("commune.commendations", "Khen thưởng", ("staff", "admin"), "commune"),
    ("commune.users", "Tài khoản", ("admin",), "commune"),
    ("procedures.figures_page", "Hồ sơ TTHC", ("staff", "admin"), "commune"),
    ("commune.rollup", "Gửi lên tỉnh", ("staff", "admin"), "commune"),
    ("province.dashboard", "Chỉ số tỉnh", ("staff", "admin"), "province"),
    ("province.imports", "Nhận số liệu", ("staff", "admin"), "province"),
    ("province_targets.targets", "Chỉ tiêu các xã", ("staff", "admin"), "province"),
    ("reports.index", "Báo cáo", ("lead", "admin"), "village"),
    ("reports.index", "Báo cáo", ("staff", "admin"), "commune"),
    ("reports.document", "Thông tin văn bản", ("lead", "admin"), "village"),
    ("reports.document", "Thông tin văn bản", ("staff", "admin"), "commune"),
    ("reports.document", "Thông tin văn bản", ("staff", "admin"), "province"),
    ("subjects.index", "Yêu cầu dữ liệu", ("staff",), "commune"),
    ("audit.index", "Nhật ký", ("admin",), None),
]


def nav_links(user, site_kind):
    """[(url, label)] of the tabs this user sees on this site."""
    if user is None:
        return []
    return [(url_for(endpoint), label) for endpoint, label, roles, kind in NAV
            if user["role"] in roles and kind in (None, site_kind)]
