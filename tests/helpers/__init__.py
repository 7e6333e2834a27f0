"""Helpers the tests share (no test module imports another).

isp        small state repositories on disk (YAML written by yaml.safe_dump), simulated
           router fleets, plan/apply shortcuts and hand-built live states
ledger     billing model values built directly (no files): customers, ledgers, states
dashboard  a small hand-built ISP with known dashboard figures
textrepo   tiny repositories written as YAML text, and `isk` run in-process
live       the example ISP served by simulated routers (the `live_isp` fixture)
"""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DEMO_IDENTITY_FILE = PROJECT / "demo" / "age-identity.txt"
DEMO_RECIPIENT = PROJECT / "demo" / "age-recipient.txt"
BAD_INPUTS = PROJECT / "tests" / "bad_inputs"
