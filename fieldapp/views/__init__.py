"""Blueprints per audience: sign-in, village pages, API, and the other rooms."""
