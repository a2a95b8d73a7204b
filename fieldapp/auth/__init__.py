"""Who may do what: accounts, PINs and tokens (accounts), the role of each route
(access) and one-time login cards (cards)."""
