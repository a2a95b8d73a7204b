"""The OpenAPI 3.0 description of API v1, served at /api/v1/openapi.json.

A test checks that every API route of the app is described here and that the real server
answers as described (schemathesis), so this file cannot drift from the code quietly.
"""
from fieldapp.forms.consent import GIVEN_BY, NOTICE_VERSIONS, PURPOSES
from fieldapp.forms.rules import CHOICES, RULES
from fieldapp.forms.versions import DEVICE_RE
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.procedures import DEFAULT_TARGETS as PROCEDURE_TARGETS

__all__ = ["openapi"]


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BEARER = [{"bearer": []}]
DEVICE_PATTERN = DEVICE_RE.pattern.replace("\\Z", "$")
AUTH_ERRORS = {"401": _error("Missing, unknown, expired or revoked token; code "
                              "account_disabled: the account was disabled"),
               "403": _error("The role or village does not allow this")}


def _file_body():
    """The body of a pushed file (batch or roll-up): JSON, or bytes (gzip, sealed)."""
    return {"required": True, "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


def _receipt():
    """The answer to a pushed file: its receipt and a Vietnamese sentence."""
    return {"type": "object", "required": ["receipt", "message"],
            "properties": {"receipt": {"type": "object"}, "message": {"type": "string"}}}


def _data_schema(record_type):
    props = {}
    for rule in RULES[record_type]:
        kind = rule.kind
        if kind in ("text", "phone"):
            schema = {"type": "string", "maxLength": rule.max_length}
        elif kind == "year":
            schema = {"type": "integer"}
        elif kind == "rating":
            schema = {"type": "integer", "minimum": 1, "maximum": 5}
        elif kind == "bool":
            schema = {"type": "boolean"}
        elif kind == "choice":
            schema = {"type": "string", "enum": list(CHOICES[rule.choices])}
        elif kind == "choices":
            schema = {"type": "array", "items": {"type": "string",
                                                 "enum": list(CHOICES[rule.choices])}}
        elif kind == "date":
            schema = {"type": "string", "format": "date"}
        elif kind == "consent":
            schema = {"type": "object", "required": ["notice_version", "purposes", "by", "on"],
                      "additionalProperties": False, "properties": {
                          "notice_version": {"type": "string", "enum": list(NOTICE_VERSIONS)},
                          "purposes": {"type": "array", "uniqueItems": True, "items": {
                              "type": "string", "enum": list(PURPOSES)}},
                          "by": {"type": "string", "enum": list(GIVEN_BY)},
                          "on": {"type": "string", "format": "date"}}}
        else:
            schema = {"type": "string", "format": "uuid"}
        props[rule.name] = dict(schema, description=rule.label)
    return {"type": "object", "properties": props,
            "required": [r.name for r in RULES[record_type] if r.required]}


def openapi():
    """The OpenAPI document as a dict."""
    record = {
        "type": "object",
        "required": ["id", "type", "village_id", "updated_at", "device_id", "author",
                     "deleted", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"type": "string", "enum": list(RULES)},
            "village_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$"},
            "updated_at": {"type": "string", "example": "2025-07-28T09:15:02.123Z"},
            "device_id": {"type": "string"},
            "author": {"type": "string"},
            "deleted": {"type": "boolean"},
            "data": {"oneOf": [{"$ref": f"#/components/schemas/{t.title()}Data"} for t in RULES]},
            "base": {"nullable": True, "description": "The version this one was made from "
                     "({updated_at, device_id}), null for a new record, or a list of the "
                     "versions a merge replaces (SPEC §3)"},
        }}
    indicator = {"type": "object", "required": ["key", "label", "numerator", "denominator",
                                                "value", "target", "met", "denominator_source"],
                 "properties": {
                     "key": {"type": "string", "enum": [d.key for d in DEFINITIONS]
                             + list(PROCEDURE_TARGETS)},
                     "label": {"type": "string"}, "numerator": {"type": "integer"},
                     "denominator": {"type": "integer"},
                     "value": {"type": "number", "nullable": True},
                     "target": {"type": "number", "nullable": True},
                     "met": {"type": "boolean", "nullable": True},
                     "denominator_source": {"type": "string", "enum": [
                         "official", "registered", "mixed", "one_stop_shop"]},
                     "change": {"type": "number", "nullable": True}}}
    login_answer = _ok({"type": "object", "required": ["token", "user"], "properties": {
        "token": {"type": "string"}, "expires_in_days": {"type": "integer"},
        "user": {"$ref": "#/components/schemas/User"}}})
    schemas = {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {"nullable": True}}}}},
        "User": {"type": "object", "required": ["username", "role", "village_id"],
                 "properties": {"username": {"type": "string"},
                                "role": {"type": "string",
                                         "enum": ["volunteer", "lead", "staff", "admin"]},
                                "village_id": {"type": "string", "nullable": True}}},
        "Record": record,
        "Indicator": indicator,
        **{f"{t.title()}Data": _data_schema(t) for t in RULES},
    }
    json_body = lambda schema: {"required": True, "content": {"application/json": {"schema": schema}}}  # noqa: E731
    paths = {
        "/healthz": {"get": {"summary": "Health check", "security": [],
                             "responses": {"200": _ok({"type": "object", "required": ["status"],
                                                       "properties": {"status": {"type": "string",
                                                                                 "enum": ["ok"]}}})}}},
        "/api/v1/login": {"post": {
            "summary": "Exchange a username and PIN or password for a token", "security": [],
            "requestBody": json_body({"type": "object", "required": ["username", "secret"],
                                      "properties": {"username": {"type": "string"},
                                                     "secret": {"type": "string"}}}),
            "responses": {"200": login_answer, "400": _error("Malformed body"),
                          "401": _error("Wrong username or secret"),
                          "403": _error("Account disabled"),
                          "413": _error("Body too large"),
                          "429": _error("Account locked after repeated failures")}}},
        "/api/v1/login/card": {"post": {
            "summary": "Exchange a one-time login card code for a token", "security": [],
            "requestBody": json_body({"type": "object", "required": ["code"],
                                      "properties": {"code": {"type": "string"}}}),
            "responses": {"200": login_answer, "400": _error("Malformed body"),
                          "401": _error("Unknown, used or revoked card"),
                          "403": _error("Account disabled"), "413": _error("Body too large"),
                          "429": _error("Too many attempts")}}},
        "/api/v1/logout": {"post": {"summary": "Revoke the caller's tokens", "security": BEARER,
                                    "responses": {"200": _ok({"type": "object"}), **AUTH_ERRORS}}},
        "/api/v1/me": {"get": {"summary": "Who the token belongs to", "security": BEARER,
                               "responses": {"200": _ok({"type": "object", "required": ["user"],
                                                         "properties": {"user": {"$ref": "#/components/schemas/User"},
                                                                        "server_time": {"type": "string"}}}),
                                             **AUTH_ERRORS}}},
        "/api/v1/rules": {"get": {"summary": "The record rules, for checking on the phone",
                                  "security": BEARER,
                                  "responses": {"200": _ok({"type": "object"}), **AUTH_ERRORS}}},
        "/api/v1/records": {
            "get": {"summary": "Versions the caller may see, after change sequence `since`",
                    "security": BEARER,
                    "parameters": [
                        {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 2000}}],
                    "responses": {"200": _ok({"type": "object",
                                              "required": ["records", "next_since", "more"],
                                              "properties": {
                                                  "records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                                                  "next_since": {"type": "integer"},
                                                  "more": {"type": "boolean"},
                                                  "forked": {"type": "array", "items": {"type": "string"},
                                                             "description": "On the last page: households with an open fork"},
                                                  "server_time": {"type": "string"}}}),
                                  "400": _error("Bad query parameter"), **AUTH_ERRORS}},
            "post": {"summary": "Store versions; a status per record", "security": BEARER,
                     "requestBody": json_body({"type": "object", "required": ["records"],
                                               "properties": {"records": {
                                                   "type": "array", "maxItems": 500,
                                                   "items": {"$ref": "#/components/schemas/Record"}}}}),
                     "responses": {"200": _ok({"type": "object", "required": ["results"],
                                               "properties": {"results": {"type": "array", "items": {
                                                   "type": "object", "required": ["id", "status", "errors"],
                                                   "properties": {
                                                       "id": {"type": "string", "nullable": True},
                                                       "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                                                       "errors": {"type": "object"}}}},
                                                   "server_time": {"type": "string"}}}),
                                   "400": _error("Malformed body"), "413": _error("Body too large"),
                                   **AUTH_ERRORS}}},
        "/api/v1/phones": {"post": {
            "summary": "A phone's report after a sync: its device and its outbox count",
            "security": BEARER,
            "description": "Volunteers and leads: one row per device is kept, for the lead's "
                           "view of the team's phones (who, last sync, changes still waiting).",
            "requestBody": json_body({"type": "object", "additionalProperties": False,
                                      "required": ["device_id", "waiting", "rejected"],
                                      "properties": {
                                          "device_id": {"type": "string", "pattern": DEVICE_PATTERN},
                                          "waiting": {"type": "integer", "minimum": 0, "maximum": 100000},
                                          "rejected": {"type": "integer", "minimum": 0, "maximum": 100000}}}),
            "responses": {"200": _ok({"type": "object", "required": ["status"], "properties": {
                "status": {"type": "string"}, "server_time": {"type": "string"}}}),
                "400": _error("Malformed report"), **AUTH_ERRORS}}},
        "/api/v1/conflicts": {"get": {
            "summary": "Records edited on two devices, neither edit made from the other",
            "security": BEARER,
            "description": "For a village's lead (their village), commune staff and admins: "
                           "each fork (SPEC §3) with its heads, oldest first.",
            "responses": {"200": _ok({"type": "object", "required": ["conflicts"], "properties": {
                "conflicts": {"type": "array", "items": {
                    "type": "object", "required": ["id", "type", "village_id", "versions"],
                    "properties": {"id": {"type": "string"}, "type": {"type": "string"},
                                   "village_id": {"type": "string"},
                                   "versions": {"type": "array", "items": {
                                       "$ref": "#/components/schemas/Record"}}}}}}}),
                          **AUTH_ERRORS}}},
        "/api/v1/indicators": {"get": {
            "summary": "Indicators as of a date, by village and by period", "security": BEARER,
            "description": "For a village's lead (their village), commune staff and admins; "
                           "volunteers are refused (403).",
            "parameters": [{"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}},
                           {"name": "village_id", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _ok({"type": "object",
                                      "required": ["as_of", "indicators", "by_village", "by_period"],
                                      "properties": {
                                          "commune_code": {"type": "string"},
                                          "as_of": {"type": "string", "format": "date"},
                                          "indicators": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}},
                                          "by_village": {"type": "object", "additionalProperties": {
                                              "type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}},
                                          "by_period": {"type": "array", "items": {"type": "object"}}}}),
                          "400": _error("Bad date"), **AUTH_ERRORS}}},
        "/api/v1/batches": {"post": {
            "summary": "Import a signed sync batch (JSON, gzip or sealed) at the commune",
            "description": "The body is one batch file (SPEC §7), in any of its three forms, "
                           "told apart by content, not by Content-Type: canonical JSON; "
                           "gzip of it; or the gzip sealed for the commune's X25519 public "
                           "key (`fieldapp push` seals when the village knows the key; "
                           "format in sync/crypto.py: magic `FABOX1\\n\\0`, recipient key, "
                           "ephemeral key, nonce, ChaCha20-Poly1305). A sealed body for "
                           "another key, cut short or altered is refused with 422 and "
                           "`details.problem` = `encrypted`; nothing is stored. When staff "
                           "require sealed pushes (`/commune/push-tokens`), a plain body is "
                           "refused with 422 and `details.problem` = `not_sealed`, its "
                           "message giving the `fieldapp commune-key` command to run.",
            "security": BEARER,
            "requestBody": _file_body(),
            "responses": {"200": _ok(_receipt()),
                          "202": _ok(_receipt(),
                                     "Held, not imported: a new laptop for a village another "
                                     "site sends for waits for staff approval at "
                                     "/commune/sites (receipt.held is true, receipt."
                                     "fingerprint the sender's key fingerprint)"),
                          "400": _error("Malformed batch"), "404": _error("Not a commune site"),
                          "413": _error("Body too large"),
                          "422": _error("Batch refused (format, signature, key, records, "
                                        "encryption...): the message names the problem"),
                          **AUTH_ERRORS}}},
        "/api/v1/rollups": {"post": {
            "summary": "Import a commune's signed roll-up (JSON, gzip or sealed) at the province",
            "description": "The body is one roll-up file (SPEC §7a), told apart by content: "
                           "canonical JSON, gzip of it, or the gzip sealed for the "
                           "province's X25519 key (`fieldapp province-key`; the format of "
                           "sync/crypto.py). The bearer token is the commune's push token "
                           "the province issued (`/province/push-tokens`, `fieldapp "
                           "push-token issue CODE`); it posts only that commune's figures "
                           "(403 otherwise). The file import's checks apply (format, "
                           "province, commune, signature, key pinned on first sight), each "
                           "refusal a 422 naming `details.problem`; nothing is stored.",
            "security": BEARER,
            "requestBody": _file_body(),
            "responses": {"200": _ok(_receipt()),
                          "404": _error("Not a province site"),
                          "413": _error("Body too large, or inflating past the limit"),
                          "422": _error("Roll-up refused (format, province, commune, "
                                        "signature, key, encryption...)"),
                          **AUTH_ERRORS}}},
    }
    return {"openapi": "3.0.3",
            "info": {"title": "fieldapp API", "version": "1",
                     "description": "Village laptops and the commune centre: records, "
                                    "indicators and sync batches (SPEC §6)."},
            "paths": paths,
            "components": {"schemas": schemas,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}
