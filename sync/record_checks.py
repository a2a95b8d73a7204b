"""An import's checks of a batch's records and created_at, and the refusals that name them."""
import operator

from fieldapp.forms.text import vn_time
from fieldapp.forms.typed import clean_versions
from fieldapp.forms.versions import MAX_CLOCK_AHEAD, ahead_text, check_versions, parse_stamp
from sync.header import village_ids_valid
from sync.errors import BatchRejected

_VILLAGE = operator.itemgetter("village_id")


def _village_ids(batch):
    """The sending site's village ids as a batch's fields give them, or [] unless they are
    valid there (so a header the checks will refuse costs no typed decoder)."""
    site = batch.get("site")
    villages = site.get("village_ids") if isinstance(site, dict) else None
    return villages if village_ids_valid(villages) else []


def _check_records(records, village_ids, created):
    """(cleaned versions, [{id, index, errors}]) for every record of a batch the typed
    decoding did not take; stamps are judged by the batch's `created` (its created_at).

    That a record keeps its type and village is checked by the store, under its lock.
    """
    checked, failed = check_versions(records, created, clock="batch")
    versions, indexes = [v for _, v in checked], [index for index, _ in checked]
    bad = [{"id": check.id, "index": index, "errors": dict(check.errors)}
           for index, check in failed]
    allowed = frozenset(village_ids)
    if not allowed.issuperset(map(_VILLAGE, versions)):
        bad += [{"id": version["id"], "index": index,
                 "errors": {"village_id": "thôn này không thuộc trạm gửi lô"}}
                for index, version in zip(indexes, versions)
                if version["village_id"] not in allowed]
        bad.sort(key=lambda b: b["index"])
    return versions, bad


def _decode_typed(body, batch, now):
    """The batch's records decoded typed (fieldapp.forms.typed), or None to check them
    one by one; `batch`: the other fields, not checked yet."""
    created = _created(batch, now)
    return None if created is None else clean_versions(body, created, _village_ids(batch))


def _created(batch, now, refuse=False):
    """The batch's created_at, the clock its records' stamps are judged by (a batch may
    be imported days after it was made), when it is a real moment no more than
    MAX_CLOCK_AHEAD after `now`, the commune's clock; else None, or with `refuse`
    BatchRejected (a batch from the future: the village laptop's clock runs ahead)."""
    created = parse_stamp(batch.get("created_at"))
    if created is None:
        if refuse:
            raise BatchRejected("format", "Lô dữ liệu sai định dạng: trường created_at không "
                                          "phải thời điểm có thật.")
        return None
    if created > now + MAX_CLOCK_AHEAD:
        if refuse:
            raise BatchRejected(
                "created_at", f"Lô ghi giờ tạo {vn_time(batch['created_at'])}, nhanh hơn "
                              f"đồng hồ máy xã ({vn_time(now)}) {ahead_text(created - now)}: "
                              "đồng hồ máy của thôn đang chạy nhanh. Hãy chỉnh lại giờ máy "
                              "của thôn rồi xuất lại lô. Cả lô bị từ chối, chưa lưu gì.")
        return None
    return created


def _refused(refusal):
    """The BatchRejected of a batch whose records change a stored record's type or village."""
    bad = [{"id": result.id, "index": index,
            "errors": {"id": "mã bản ghi đã dùng cho bản ghi khác loại hoặc khác thôn"}}
           for index, result in enumerate(refusal.results) if result.status == "refused"]
    return _records_rejected(bad)


def _records_rejected(bad):
    """BatchRejected naming the first records at fault."""
    listed = ", ".join(str(b["id"] or f"#{b['index'] + 1}") for b in bad[:5])
    more = f" và {len(bad) - 5} bản ghi khác" if len(bad) > 5 else ""
    return BatchRejected("records", f"{len(bad)} bản ghi trong lô không hợp lệ "
                                    f"({listed}{more}). Cả lô bị từ chối, chưa lưu gì.", bad)
