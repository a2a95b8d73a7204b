"""The Receipt of an import: what was new, duplicate, held or erased, for the API and people."""
from dataclasses import asdict, dataclass, field

__all__ = ["Receipt"]


@dataclass
class Receipt:
    """What an import did: how many versions were new or duplicates, and the conflicts."""
    batch_id: str
    site_id: str
    site_name: str
    village_ids: list
    since_seq: int
    until_seq: int
    record_count: int
    new: int = 0
    duplicate: int = 0
    conflicts: list = field(default_factory=list)
    already_imported: bool = False
    added_villages: list = field(default_factory=list)
    imported_at: str = ""
    created_at: str = ""
    fingerprint: str = ""             # of the sender's key, for staff to compare
    held: bool = False                # waiting for staff to approve a new laptop
    already_held: bool = False
    held_since: str = ""
    held_for: list = field(default_factory=list)   # [{site_name, village_ids}] sending now
    erased: int = 0                   # stored records the batch's erasures de-identified

    def as_json(self):
        """The receipt as the API returns it."""
        return asdict(self)

    def summary(self):
        """One Vietnamese line for people."""
        from fieldapp.forms.text import vn_date, vn_number
        if self.held:
            others = ", ".join(c["site_name"] for c in self.held_for)
            villages = ", ".join(self.village_ids)
            return (f"Lô của {self.site_name} CHƯA được nhận, đang chờ duyệt: thôn {villages} "
                    f"đã có máy khác gửi dữ liệu ({others}), còn máy này xã chưa biết "
                    f"(dấu vân tay khóa {self.fingerprint}). Cán bộ xã so dấu vân tay với "
                    "tổ trưởng thôn rồi duyệt hoặc từ chối ở trang “Máy mới chờ duyệt”; "
                    "trước đó lô không được tính vào chỉ số"
                    + (" (lô này đã đến xã và đang chờ từ trước)." if self.already_held
                       else "."))
        if self.already_imported:
            return (f"Lô của {self.site_name} đã được nhận trước đây ({vn_date(self.imported_at)}); "
                    f"không có gì thay đổi.")
        text = (f"Đã nhận lô của {self.site_name}: {vn_number(self.record_count)} bản ghi, "
                f"{vn_number(self.new)} mới, {vn_number(self.duplicate)} trùng")
        if self.conflicts:
            text += f", {len(self.conflicts)} bản ghi có chỉnh sửa xung đột cần xem lại"
        if self.erased:
            text += f"; đã xóa thông tin định danh của {vn_number(self.erased)} bản ghi theo lô"
        return text + "."
