"""Stage 3 — routers: standings become desired router state (desired), desired plus live
state becomes a `Plan` (plan), and apply runs plans against routers through `routeros/`.
"""
