"""Why a batch was refused: one error naming the problem and the records at fault."""
from fieldapp.forms.errors import Invalid

__all__ = ["BatchRejected", "BatchTooLarge"]


class BatchRejected(Invalid):
    """The whole batch is refused (HTTP 422); nothing was stored.

    `problem` is a short code (format, version, commune, count, hash, signature, key,
    records, ...); `details` carries it and, for bad records, [{id, index, errors}].
    """

    def __init__(self, problem, message, records=None):
        details = {"problem": problem}
        if records:
            details["records"] = records[:MAX_LISTED]
            details["records_total"] = len(records)
        super().__init__(message, details)
        self.problem = problem
        self.records = records or []



class BatchTooLarge(BatchRejected):
    """A batch larger than its sender may bring (HTTP 413), refused before it is parsed."""
    status, code = 413, "too_large"


MAX_LISTED = 200
