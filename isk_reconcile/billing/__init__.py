"""Stage 2 — money: periods, invoices, allocation and standings (engine), and the pure
dashboard figures built on them (report). Pure functions of a `State` and `as_of`.
"""
