"""The record rules, written once for pages, API, sync and the round app (SPEC §3).

rules     every field of every record type, and `validate_data`
versions  the envelope around the data (`check_version`), stamps and ids
typed     whole batches decoded by the same rules at C speed (the common import)
text      Vietnamese text: NFC, search folding, display formats, the time zone
errors    errors meant for the person, with their code and HTTP status
consent   consent at the door: the notice's version, purposes, what a phone or comment needs
erasure   the identifying fields, and de-identifying a version (erasure, purge)

Nothing here imports the rest of the app: `sync/` stands on it and on `storage/`.
"""
