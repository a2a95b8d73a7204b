"""The commune centre's blueprint and what its pages share."""
from flask import Blueprint

from fieldapp.auth.access import get_site

__all__ = ["bp", "STAFF", "SHORT_LABELS", "update_settings"]

bp = Blueprint("commune", __name__, url_prefix="/commune")
STAFF = ("staff", "admin")
SHORT_LABELS = {
    "adult_online_usage": "Dùng DVCTT", "satisfaction": "Hài lòng",
    "satisfaction_land_construction_investment": "Hài lòng đất đai, XD, ĐT",
    "household_vneid_level2": "Hộ có mức 2", "adult_vneid_level2": "Người có mức 2",
    "adult_bank_account": "Tài khoản NH", "households_visited": "Hộ đã đến",
    "volunteers_trained": "Tổ viên được tập huấn",
}

def update_settings(change):
    """Apply change(settings copy) under the site lock and save."""
    get_site().update_settings(change)
