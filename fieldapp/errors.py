"""Domain errors, each with its HTTP status, and the one JSON error shape."""
from flask import jsonify

__all__ = ["FieldappError", "BadRequest", "Invalid", "NotSignedIn", "Forbidden",
           "NotFound", "TooLarge", "Locked", "Conflict", "error_response"]


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


class Forbidden(FieldappError):
    status, code = 403, "forbidden"


class NotFound(FieldappError):
    status, code = 404, "not_found"


class Conflict(FieldappError):
    status, code = 409, "conflict"


class TooLarge(FieldappError):
    status, code = 413, "too_large"


class Locked(FieldappError):
    status, code = 429, "locked"


def error_response(status, code, message, details=None):
    """Return the JSON error response every API error uses."""
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    return response
