"""Sync batches (SPEC §7): canonical JSON, Ed25519 signatures, export, import and merge."""
