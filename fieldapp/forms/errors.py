"""Errors meant for the person, each with its code and HTTP status (SPEC's error shape:
`{"error": {"code", "message", "details"}}`, made by `fieldapp.error_response`)."""

__all__ = ["FieldappError", "BadRequest", "Invalid", "NotSignedIn", "Forbidden",
           "NotFound", "Locked", "Conflict", "AccountDisabled"]


class FieldappError(Exception):
    """An error meant for the person: a Vietnamese message, a code, an HTTP status."""
    status = 400
    code = "bad_request"

    def __init__(self, message, details=None):
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(FieldappError):
    status, code = 400, "bad_request"


class Invalid(FieldappError):
    status, code = 422, "invalid"


class NotSignedIn(FieldappError):
    status, code = 401, "not_signed_in"


class AccountDisabled(NotSignedIn):
    """A valid token whose account the lead disabled: the phone wipes the village's data."""
    code = "account_disabled"


class Forbidden(FieldappError):
    status, code = 403, "forbidden"


class NotFound(FieldappError):
    status, code = 404, "not_found"


class Conflict(FieldappError):
    status, code = 409, "conflict"


class Locked(FieldappError):
    status, code = 429, "locked"

