"""Write the example ISP (ISK-NET, Kudus) that this repository doubles as.

    .venv/bin/python tools/make_example.py [--repo .] [--check]

The files under state/ and payments/ are committed; this script is how they were made,
so a change to the story (a new customer, a different payment habit) is a change here
followed by a re-run. It is deterministic except for age ciphertexts (age encryption is
randomised): an existing customer's ciphertext is kept when it still decrypts, with the
demo identity, to the intended password, so re-running produces no diff.

Payments are not typed in by hand: each customer has a payment *habit* (pays N days
after each period starts, stops paying at some date, pays a lump sum ahead, ...) and
the script simulates the month-by-month ledger from it. The script then checks its own
independent reading of SPEC §3 against the standing each customer is meant to have on
2026-11-29 and refuses to write files that tell a different story.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyrage
import yaml

AS_OF = date(2026, 11, 29)
LEDGER_START = date(2025, 12, 1)  # the first month of the ledger kept in git
GRACE_DAYS = 3
PROJECT = Path(__file__).resolve().parent.parent

# --- static files ---------------------------------------------------------------------------

SETTINGS = """\
# ISK-NET (PT Sistem Interkoneksi Data, Kudus): settings shared by every router.
# Every key has a default; they are all written out here so the example documents itself.
timezone: Asia/Jakarta      # "today" (the default --as-of) is computed in this zone (WIB)
currency: IDR               # display only; money is always an integer number of rupiah
billing:
  cycle: monthly            # periods start on the customer's start day each month
  mode: prepaid             # a period's invoice is due on the period's first day
  grace_days: 3             # suspend when an invoice is still unpaid 3 days after it was due
suspend:
  mode: disable             # suspended accounts get disabled=yes (rw05-jati overrides: isolate)
  isolate_profile: isolir   # walled-garden profile used by routers in isolate mode
  disconnect: true          # drop the live session when access changes, so it takes effect now
safety:
  max_disable_percent: 30   # a plan disabling/isolating > 30% of a router's accounts is unsafe
  max_delete_percent: 10    # ... or deleting > 10% of them
  min_managed: 10           # routers with fewer managed accounts are exempt from both limits
  max_disable_percent_any_size: 50   # ... but disabling > 50% is unsafe on a router of any size
secrets:
  recipients:               # PPPoE passwords are age-encrypted to these public keys
    - {recipient}  # DEMO key: demo/age-identity.txt decrypts it
  allow_plaintext: false    # never accept a plaintext password in git
comment_prefix: isk         # RouterOS comments starting with "isk:" mark what this tool manages
language: en                # message language: en or id
isp:
  name: ISK-NET
  contact: "WhatsApp 0812-0000-1234"
  payment: "BCA 123-456-7890 a.n. PT Sistem Interkoneksi Data"
notify:                     # docs/notifications.md
  channels:
    wa:                     # WhatsApp through Fonnte; the token comes from the environment
      kind: fonnte
      token_env: ISK_NOTIFY_FONNTE_TOKEN
    # mail:                 # e-mail through apprise mailto:// (the SMTP login from the environment)
    #   {{kind: email, host: smtp.example.net, port: 587, security: starttls,
    #    sender: tagihan@example.net, user_env: ISK_NOTIFY_SMTP_USER,
    #    token_env: ISK_NOTIFY_SMTP_PASSWORD}}
    # sms:                  # SMS through a self-hosted SMSEagle gateway (apprise smseagle://)
    #   {{kind: smseagle, url: "https://smseagle.example.net", token_env: ISK_NOTIFY_SMSEAGLE}}
  customers: [wa]           # channels customers are told on
  reminder_days: [7, 3, 1]  # invoice reminders this many days before the due date
  whatsapp_delay: 5         # seconds between WhatsApp messages
# Online payments (docs/payments.md); the keys come from ISK_MIDTRANS_SERVER_KEY,
# ISK_XENDIT_SECRET_KEY and ISK_XENDIT_CALLBACK_TOKEN, never from this file.
# payments:
#   gateway: midtrans          # midtrans | xendit: the one `isk invoice link` uses
#   link_expiry_hours: 72      # how long a payment link stays payable
#   apply_after_payment: false # true: `isk serve` applies the paying customer's router itself
#   midtrans: {{environment: sandbox}}   # sandbox | production
#   xendit: {{environment: sandbox}}     # the secret key (test or live) decides the mode
"""

ROUTERS = """\
# ISK-NET routers. Every host here is 127.0.0.1 because the example ISP runs on the
# simulated routers of `isk demo` (one per port on loopback). A real deployment writes each
# router's management IP instead (e.g. the core router's address on the management VLAN).
# API passwords never live in git: each router names the environment variable that holds it.

core-kudus:
  host: 127.0.0.1                                  # real: the router's management IP
  port: 18728                                      # simulated API port (a real router: 8728)
  tls: false                                       # loopback; over a real network: tls: true
  username: isk-api                                # a dedicated API user with the ppp policy
  password_env: ISK_ROUTER_CORE_KUDUS_PASSWORD
  timeout: 10                                      # seconds
  description: Core router, NOC Jl. Sunan Muria, Kudus
  pools:                                           # IP pools isk keeps on this router
    pool-home: {ranges: [10.20.0.100-10.20.3.254]}
    pool-business: {ranges: [10.30.0.100-10.30.0.254]}   # static IPs (toko-berkah) below it
    pool-isolir: {ranges: [10.99.0.10-10.99.0.254]}

rw05-jati:
  host: 127.0.0.1
  port: 18729
  tls: false
  username: isk-api
  password_env: ISK_ROUTER_RW05_JATI_PASSWORD
  timeout: 10
  description: RW 05 Jati Wetan access router
  suspend: {mode: isolate, isolate_profile: isolir}   # overdue: walled garden, not disabled
  pools:
    pool-home: {ranges: [10.20.0.100-10.20.3.254]}
    pool-isolir: {ranges: [10.99.0.10-10.99.0.254]}

rw09-bae:
  host: 127.0.0.1
  port: 18730
  tls: false
  username: isk-api
  password_env: ISK_ROUTER_RW09_BAE_PASSWORD
  timeout: 10
  description: RW 09 Bae access router (fed by the BTS Bae backhaul)
  pools:
    pool-home: {ranges: [10.20.0.100-10.20.3.254]}
    pool-bae: {ranges: [10.40.0.10-10.40.0.254], comment: RW 09 Bae own range}
    pool-business: {ranges: [10.30.0.100-10.30.0.254]}
    pool-isolir: {ranges: [10.99.0.10-10.99.0.254]}
"""

PROFILES = {
    "home-10m": """\
# Paket Rumah 10 Mbps: the entry package.
description: Paket Rumah 10 Mbps
price: 150000                  # rupiah per month
rate_limit: 10M/10M            # rx/tx as seen from the router
local_address: 10.20.0.1       # the router's side of every PPPoE link
remote_address: pool-home      # customers get an address from this IP pool
dns_server: [10.20.0.1, 1.1.1.1]
only_one: true                 # one session per account
per_router:                    # rw09-bae is its own site: its own gateway, pool and DNS
  rw09-bae:
    local_address: 10.40.0.1
    remote_address: pool-bae
    dns_server: [10.40.0.1, 1.1.1.1]
""",
    "home-20m": """\
# Paket Rumah 20 Mbps, with burst. The price rises on 2027-01-01 (announced in November);
# invoices for periods that start before then keep the old price.
description: Paket Rumah 20 Mbps
price:
  - {from: 2025-01-01, value: 200000}
  - {from: 2027-01-01, value: 220000}
# rate/burst-rate/burst-threshold/burst-time priority limit-at: 20M, bursting to 25M for
# up to 8 s while the average stays under 15M; queue priority 8; guaranteed 10M.
rate_limit: 20M/20M 25M/25M 15M/15M 8/8 8 10M/10M
local_address: 10.20.0.1
remote_address: pool-home
dns_server: [10.20.0.1, 1.1.1.1]
only_one: true
""",
    "home-50m": """\
# Paket Rumah 50 Mbps.
description: Paket Rumah 50 Mbps
price: 300000
rate_limit: 50M/50M
local_address: 10.20.0.1
remote_address: pool-home
dns_server: [10.20.0.1, 1.1.1.1]
only_one: true
address_list: pelanggan-50m    # the firewall gives this list a higher queue priority
""",
    "business-100m": """\
# Paket Bisnis 100 Mbps: shops, offices and backhaul links. Only the core router and
# rw09-bae have the uplink capacity, so it is not pushed to rw05-jati.
description: Paket Bisnis 100 Mbps
price: 750000
rate_limit: 100M/100M
local_address: 10.30.0.1
remote_address: pool-business
dns_server: [8.8.8.8, 1.1.1.1]
only_one: true
routers: [core-kudus, rw09-bae]
routeros:                      # other /ppp/profile fields, passed through as written
  change-tcp-mss: "yes"        # quoted: RouterOS wants the word yes, not a YAML boolean
""",
    "isolir": """\
# The walled-garden ("isolir") profile. A suspended customer on a router in isolate mode
# is moved here: 512k, an address from pool-isolir, and the firewall redirects web traffic
# of the "isolir" address list to the payment page. It has no price, so it is not a
# package and no customer can be assigned to it.
description: Isolir - menunggu pembayaran
rate_limit: 512k/512k
local_address: 10.99.0.1
remote_address: pool-isolir
dns_server: [10.99.0.1]
only_one: true
address_list: isolir
""",
}

# --- customers ------------------------------------------------------------------------------


@dataclass
class Habit:
    """How a customer pays; the ledger is simulated from this."""

    method: str = "transfer"
    lag: int = 1  # days after a period starts that the customer usually pays
    late: dict[date, int] = field(default_factory=dict)  # period start -> lag for that period
    partial: dict[date, int] = field(default_factory=dict)  # period start -> amount paid instead
    stop: date | None = None  # no regular payment for periods starting on or after this date
    regular: bool = True  # False: only the explicit entries below
    extra: list[dict] = field(default_factory=list)  # explicit ledger entries


@dataclass
class Person:
    id: str
    name: str
    router: str
    start: date
    profile: str | list[tuple[date, str]]
    story: str  # the comment at the top of the file: which scenario this customer shows
    expect: str  # intended standing on AS_OF: "enabled", "suspended" or "absent"
    cause: str  # intended billing.Cause
    address: str = ""
    status: str = "active"
    end: date | None = None
    price: int | list[tuple[date, int]] | None = None
    suspend_reason: str = ""
    username: str | None = None
    password: str | None = None
    remote_address: str | None = None
    caller_id: str | None = None
    protect: bool = False
    email: str | None = None
    notes: str = ""
    habit: Habit = field(default_factory=Habit)
    outage_credit: bool = False  # received the rw09-bae outage compensation


D = date
OUTAGE = D(2026, 3, 20)  # date of the compensation credit for the rw09-bae fibre cut

PEOPLE: list[Person] = [
    # --- core-kudus (suspend mode: disable) ---------------------------------------------
    Person(
        "budi-santoso",
        "Budi Santoso",
        "core-kudus",
        D(2025, 12, 5),
        "home-10m",
        "A normal customer who pays by bank transfer a day or two after each period starts. "
        "His account is locked to his router's MAC address (caller_id).",
        "enabled",
        "paid",
        address="Jl. Mawar 12, RT 02/RW 05, Kudus",
        caller_id="AA:BB:CC:10:20:01",
        email="budi.santoso@example.com",
        notes="ODP-03 port 4",
        habit=Habit("transfer", lag=2),
    ),
    Person(
        "siti-rahayu",
        "Siti Rahayu",
        "core-kudus",
        D(2026, 1, 15),
        "home-20m",
        "On home-20m, whose price rises from Rp200.000 to Rp220.000 on 2027-01-01: her "
        "invoice for the period starting 2027-01-15 is the first at the new price.",
        "enabled",
        "paid",
        address="Jl. Melati 7, RT 01/RW 03, Kudus",
        notes="ODP-01 port 2",
        habit=Habit("qris", lag=0),
    ),
    Person(
        "agus-prasetyo",
        "Agus Prasetyo",
        "core-kudus",
        D(2026, 2, 10),
        "home-10m",
        "Paid only Rp100.000 of the Rp150.000 invoice for the period starting 2026-11-10: "
        "the invoice is partial, grace ended 2026-11-13, so the account is disabled.",
        "suspended",
        "unpaid",
        address="Jl. Kenanga 21, RT 04/RW 02, Kudus",
        notes="ODP-05 port 1",
        habit=Habit("cash", lag=1, partial={D(2026, 11, 10): 100000}),
    ),
    Person(
        "toko-berkah",
        "Toko Berkah Jaya (H. Mahmud)",
        "core-kudus",
        D(2026, 3, 1),
        "business-100m",
        "A shop on the business package with a static IP (pppoe.remote_address) for its "
        "CCTV and cashier system.",
        "enabled",
        "paid",
        address="Jl. Jenderal Sudirman 88, Kudus",
        remote_address="10.30.0.15",
        email="berkahjaya.kudus@example.com",
        notes="ODP-02 port 8; static IP for CCTV",
        habit=Habit("transfer", lag=3),
    ),
    Person(
        "masjid-al-ikhlas",
        "Masjid Al-Ikhlas",
        "core-kudus",
        D(2025, 12, 1),
        "home-20m",
        "The neighbourhood mosque: free of charge (status free), never billed, always on.",
        "enabled",
        "free",
        status="free",
        address="Jl. Sunan Kudus 3, RT 03/RW 05, Kudus",
        notes="Donated by ISK-NET (CSR); contact takmir Pak Sholeh",
    ),
    Person(
        "dwi-kurniawan",
        "Dwi Kurniawan",
        "core-kudus",
        D(2025, 12, 15),
        [(D(2025, 12, 15), "home-10m"), (D(2026, 6, 15), "home-20m")],
        "Upgraded mid-year from home-10m to home-20m on 2026-06-15 (a dated profile list): "
        "invoices up to May are Rp150.000, from June Rp200.000.",
        "enabled",
        "paid",
        address="Jl. Ahmad Yani 45, RT 05/RW 01, Kudus",
        notes="ODP-04 port 6",
        habit=Habit("ewallet", lag=1),
    ),
    Person(
        "rina-wulandari",
        "Rina Wulandari",
        "core-kudus",
        D(2026, 4, 8),
        "home-20m",
        "Paid twelve months ahead (Rp2.400.000) on 2026-10-06; the 2027 price rise means "
        "the credit covers a little less than a year.",
        "enabled",
        "paid",
        address="Perum Griya Kudus Asri B-14, Kudus",
        email="rina.wulandari@example.com",
        notes="ODP-07 port 3",
        habit=Habit(
            "transfer",
            lag=1,
            extra=[
                {
                    "date": D(2026, 10, 6),
                    "amount": 2400000,
                    "method": "transfer",
                    "reference": "BCA 0610-77",
                    "note": "bayar 12 bulan di muka",
                },
            ],
        ),
    ),
    Person(
        "hendra-gunawan",
        "Hendra Gunawan",
        "core-kudus",
        D(2025, 6, 10),
        "home-50m",
        "A customer from before the ledger moved to git: an opening-balance entry on "
        "2025-12-01 records what he paid for Jun-Nov 2025.",
        "enabled",
        "paid",
        address="Jl. Lingkar Timur 102, Kudus",
        notes="ODP-06 port 5",
        habit=Habit("transfer", lag=2),
    ),
    Person(
        "zoe-hartono",
        "Zoë Hartono",
        "core-kudus",
        D(2026, 5, 21),
        "home-10m",
        "A name with a non-ASCII letter: the router comment folds it to 'Zoe Hartono'.",
        "enabled",
        "paid",
        address="Jl. Pemuda 17, RT 02/RW 04, Kudus",
        email="zoe.hartono@example.com",
        notes="ODP-03 port 7",
        habit=Habit("ewallet", lag=0),
    ),
    Person(
        "staff-yusuf",
        "Yusuf Maulana (teknisi ISK-NET)",
        "core-kudus",
        D(2025, 12, 1),
        "home-20m",
        "Staff account of an ISK-NET technician: free (status free).",
        "enabled",
        "free",
        status="free",
        address="Jl. Sunan Muria 9, Kudus",
        notes="Staff benefit",
    ),
    Person(
        "eko-saputro",
        "Eko Saputro",
        "core-kudus",
        D(2026, 1, 31),
        "home-10m",
        "Started on the 31st: monthly periods are clamped to the month's last day "
        "(Jan 31, Feb 28, Mar 31, Apr 30, ...).",
        "enabled",
        "paid",
        address="Jl. Mawar 30, RT 02/RW 05, Kudus",
        notes="ODP-03 port 9",
        habit=Habit("cash", lag=1),
    ),
    Person(
        "lukman-hakim",
        "Lukman Hakim",
        "core-kudus",
        D(2026, 3, 27),
        "home-10m",
        "His invoice for the period starting 2026-11-27 is not paid yet, but the grace "
        "period runs until 2026-11-30: still enabled on 2026-11-29.",
        "enabled",
        "paid",
        address="Jl. Kenanga 5, RT 04/RW 02, Kudus",
        notes="ODP-05 port 3",
        habit=Habit("cash", lag=1, late={D(2026, 11, 27): 5}),
    ),
    Person(
        "ahmad-fauzi",
        "Ahmad Fauzi",
        "core-kudus",
        D(2026, 12, 5),
        "home-10m",
        "Signed up in November and paid the first month at registration; installation is "
        "on 2026-12-05, so the account must not exist on the router yet.",
        "absent",
        "not-started",
        address="Jl. Melati 19, RT 01/RW 03, Kudus",
        notes="Installation scheduled 2026-12-05",
        habit=Habit(
            "cash",
            regular=False,
            extra=[
                {
                    "date": D(2026, 11, 28),
                    "amount": 150000,
                    "method": "cash",
                    "note": "bayar di muka saat pendaftaran",
                },
            ],
        ),
    ),
    Person(
        "sri-mulyani",
        "Sri Mulyani",
        "core-kudus",
        D(2025, 12, 1),
        "home-10m",
        "Moved to Semarang: terminated, last day of service 2026-08-31. She had already "
        "paid September; that payment was refunded.",
        "absent",
        "terminated",
        status="terminated",
        end=D(2026, 8, 31),
        address="Jl. Ahmad Yani 12, RT 05/RW 01, Kudus",
        notes="Moved to Semarang",
        habit=Habit(
            "transfer",
            lag=0,
            extra=[
                {
                    "date": D(2026, 8, 28),
                    "amount": 150000,
                    "method": "transfer",
                    "reference": "BRI 2808-13",
                    "note": "pembayaran September",
                },
                {
                    "date": D(2026, 9, 2),
                    "amount": 150000,
                    "kind": "refund",
                    "method": "transfer",
                    "reference": "BRI 0209-01",
                    "note": "refund: berhenti berlangganan per 2026-08-31",
                },
            ],
        ),
    ),
    # --- rw05-jati (suspend mode: isolate) -----------------------------------------------
    Person(
        "nur-hidayah",
        "Nur Hidayah",
        "rw05-jati",
        D(2026, 1, 8),
        "home-10m",
        'Her PPPoE username is "0812" from the old Winbox set-up: it must be quoted in '
        "YAML (unquoted it would be a number and lose its leading 0).",
        "enabled",
        "paid",
        address="Jl. Jati Wetan 4, RT 01/RW 05, Jati, Kudus",
        username="0812",
        notes="Username kept from the old set-up",
        habit=Habit("cash", lag=1),
    ),
    Person(
        "joko-susilo",
        "Joko Susilo",
        "rw05-jati",
        D(2025, 12, 12),
        "home-20m",
        "Stopped paying after September: the invoices for October and November are overdue, "
        "so he is isolated (rw05-jati isolates instead of disabling) and his static IP is "
        "dropped while isolated.",
        "suspended",
        "unpaid",
        address="Jl. Jati Wetan 18, RT 02/RW 05, Jati, Kudus",
        remote_address="10.20.5.20",
        notes="Static IP for his home CCTV",
        habit=Habit("transfer", lag=2, stop=D(2026, 10, 12)),
    ),
    Person(
        "wahyu-hidayat",
        "Wahyu Hidayat",
        "rw05-jati",
        D(2026, 2, 14),
        "home-10m",
        "His PPPoE password is all digits: librouteros reads it back as an int, which "
        "the reconciler must not mistake for a change.",
        "enabled",
        "paid",
        address="Jl. Jati Wetan 23, RT 02/RW 05, Jati, Kudus",
        password="7391025",
        notes="ODP-J2 port 1",
        habit=Habit("qris", lag=1),
    ),
    Person(
        "ratna-sari",
        "Ratna Sari",
        "rw05-jati",
        D(2026, 1, 20),
        "home-10m",
        "Pays a discounted Rp120.000 (per-customer price): she hosts the RW 05 ODP "
        "cabinet on her wall.",
        "enabled",
        "paid",
        price=120000,
        address="Jl. Jati Wetan 2, RT 01/RW 05, Jati, Kudus",
        notes="Discount: ODP-J1 mounted on her house",
        habit=Habit("cash", lag=0),
    ),
    Person(
        "bambang-sutrisno",
        "Bambang Sutrisno",
        "rw05-jati",
        D(2026, 3, 3),
        "home-10m",
        "Suspended by hand (status suspended) while a suspected resale of the connection is "
        "checked; invoices go on being issued.",
        "suspended",
        "manual",
        status="suspended",
        suspend_reason="connection resold to neighbours, awaiting ID check (ticket 2611-04)",
        address="Jl. Jati Wetan 31, RT 03/RW 05, Jati, Kudus",
        notes="ODP-J3 port 2",
        habit=Habit("transfer", lag=1, stop=D(2026, 11, 3)),
    ),
    Person(
        "fitri-handayani",
        "Fitri Handayani",
        "rw05-jati",
        D(2026, 2, 3),
        "home-20m",
        "Paid six months ahead (Rp1.200.000) on 2026-11-02; with the 2027 price rise that "
        "covers five periods: paid through 2027-04-02.",
        "enabled",
        "paid",
        address="Jl. Jati Wetan 40, RT 03/RW 05, Jati, Kudus",
        email="fitri.handayani@example.com",
        notes="ODP-J3 port 5",
        habit=Habit(
            "ewallet",
            lag=1,
            extra=[
                {
                    "date": D(2026, 11, 2),
                    "amount": 1200000,
                    "method": "transfer",
                    "reference": "Mandiri 0211-45",
                    "note": "bayar 6 bulan di muka",
                },
            ],
        ),
    ),
    Person(
        "yanto-wibowo",
        "Yanto Wibowo",
        "rw05-jati",
        D(2025, 12, 22),
        "home-10m",
        "Often pays late (after the grace period), so he was isolated for a few days several "
        "times; he is up to date now.",
        "enabled",
        "paid",
        address="Jl. Jati Kulon 7, RT 04/RW 05, Jati, Kudus",
        notes="ODP-J4 port 1",
        habit=Habit(
            "cash",
            lag=1,
            late={
                D(2026, 2, 22): 8,
                D(2026, 5, 22): 6,
                D(2026, 8, 22): 9,
                D(2026, 10, 22): 5,
            },
        ),
    ),
    Person(
        "puskesmas-jati",
        "Puskesmas Jati",
        "rw05-jati",
        D(2026, 1, 5),
        "home-50m",
        "The community health centre: protected (protect: true), never cut off. The "
        "district pays quarterly in arrears, so it always has unpaid invoices.",
        "enabled",
        "protected",
        protect=True,
        address="Jl. Raya Jati 120, Jati, Kudus",
        email="puskesmas.jati@example.com",
        notes="Government account: paid quarterly by the district (Dinkes)",
        habit=Habit(
            "transfer",
            regular=False,
            extra=[
                {
                    "date": D(2026, 4, 20),
                    "amount": 900000,
                    "method": "transfer",
                    "reference": "SP2D 0420/DINKES",
                    "note": "Jan-Mar 2026",
                },
                {
                    "date": D(2026, 7, 22),
                    "amount": 900000,
                    "method": "transfer",
                    "reference": "SP2D 0722/DINKES",
                    "note": "Apr-Jun 2026",
                },
                {
                    "date": D(2026, 10, 21),
                    "amount": 900000,
                    "method": "transfer",
                    "reference": "SP2D 1021/DINKES",
                    "note": "Jul-Sep 2026",
                },
            ],
        ),
    ),
    Person(
        "arif-rahman",
        "Arif Rahman",
        "rw05-jati",
        D(2026, 4, 11),
        "home-50m",
        "A normal customer on the 50 Mbps package.",
        "enabled",
        "paid",
        address="Jl. Jati Kulon 15, RT 04/RW 05, Jati, Kudus",
        notes="ODP-J4 port 4",
        habit=Habit("transfer", lag=1),
    ),
    Person(
        "dewi-lestari",
        "Dewi Lestari",
        "rw05-jati",
        D(2026, 2, 25),
        "home-10m",
        "Transferred July twice by mistake; the second transfer was refunded (a refund "
        "entry, never an edit of the ledger).",
        "enabled",
        "paid",
        address="Jl. Jati Wetan 9, RT 01/RW 05, Jati, Kudus",
        notes="ODP-J1 port 6",
        habit=Habit(
            "transfer",
            lag=1,
            extra=[
                {
                    "date": D(2026, 7, 26),
                    "amount": 150000,
                    "method": "transfer",
                    "reference": "BCA 2607-02",
                    "note": "transfer ganda",
                },
                {
                    "date": D(2026, 7, 29),
                    "amount": 150000,
                    "kind": "refund",
                    "method": "transfer",
                    "reference": "BCA 2907-05",
                    "note": "refund transfer ganda 2026-07-26",
                },
            ],
        ),
    ),
    Person(
        "mega-putri",
        "Mega Putri",
        "rw05-jati",
        D(2026, 2, 15),
        "home-10m",
        "Terminated on 2026-10-14 owing the period that started 2026-09-15: the account is "
        "gone but the debt stays in receivables (and deleting her file would be refused).",
        "absent",
        "terminated",
        status="terminated",
        end=D(2026, 10, 14),
        address="Jl. Jati Kulon 22, RT 04/RW 05, Jati, Kudus",
        notes="Terminated for non-payment; debt collection by RW",
        habit=Habit("cash", lag=1, stop=D(2026, 9, 15)),
    ),
    # --- rw09-bae (suspend mode: disable) ------------------------------------------------
    Person(
        "bts-bae-backhaul",
        "Link backhaul BTS Bae",
        "rw09-bae",
        D(2025, 12, 1),
        "business-100m",
        "ISK-NET's own backhaul link to the Bae tower: free and protected, so the "
        "reconciler never disables, isolates or deletes it.",
        "enabled",
        "free",
        status="free",
        protect=True,
        address="Tower BTS Bae, Bae, Kudus",
        caller_id="AA:BB:CC:90:00:01",
        notes="Infrastructure - do not touch",
    ),
    Person(
        "slamet-riyadi",
        "Slamet Riyadi",
        "rw09-bae",
        D(2025, 12, 6),
        "home-10m",
        "Got Rp20.000 credit for the March fibre cut, and paid Rp130.000 the next month.",
        "enabled",
        "paid",
        address="Jl. Bae Krajan 3, RT 01/RW 09, Bae, Kudus",
        notes="ODP-B1 port 1",
        habit=Habit("cash", lag=1),
        outage_credit=True,
    ),
    Person(
        "nurul-aini",
        "Nurul Aini",
        "rw09-bae",
        D(2026, 1, 9),
        "home-20m",
        "On home-20m; also got the March outage credit.",
        "enabled",
        "paid",
        address="Jl. Bae Krajan 11, RT 01/RW 09, Bae, Kudus",
        notes="ODP-B1 port 4",
        habit=Habit("qris", lag=0),
        outage_credit=True,
    ),
    Person(
        "heru-setiawan",
        "Heru Setiawan",
        "rw09-bae",
        D(2026, 2, 5),
        "home-10m",
        "Has not paid the period starting 2026-11-05: grace ended 2026-11-08, so his "
        "account is disabled.",
        "suspended",
        "unpaid",
        address="Jl. Bae Krajan 20, RT 02/RW 09, Bae, Kudus",
        notes="ODP-B2 port 2",
        habit=Habit("cash", lag=2, stop=D(2026, 11, 5)),
        outage_credit=True,
    ),
    Person(
        "kartini-wijaya",
        "Kartini Wijaya",
        "rw09-bae",
        D(2026, 3, 18),
        "home-20m",
        "A normal customer who pays by QRIS on the day her period starts.",
        "enabled",
        "paid",
        address="Jl. Dersalam 5, RT 03/RW 09, Bae, Kudus",
        email="kartini.w@example.com",
        notes="ODP-B3 port 1",
        habit=Habit("qris", lag=0),
    ),
    Person(
        "jose-ramirez",
        "José Ramírez",
        "rw09-bae",
        D(2026, 6, 2),
        "home-10m",
        "A teacher at the international school: accents in the name, MAC-locked account.",
        "enabled",
        "paid",
        address="Jl. Dersalam 14, RT 03/RW 09, Bae, Kudus",
        caller_id="AA:BB:CC:90:12:34",
        email="jose.ramirez@example.com",
        notes="ODP-B3 port 6",
        habit=Habit("transfer", lag=1),
    ),
    Person(
        "taufik-hidayat",
        "Taufik Hidayat",
        "rw09-bae",
        D(2026, 11, 20),
        "home-10m",
        "New this month on a promotion: Rp100.000 for the first three months, then the "
        "normal Rp150.000 (a dated per-customer price).",
        "enabled",
        "paid",
        price=[(D(2026, 11, 20), 100000), (D(2027, 2, 20), 150000)],
        address="Jl. Bae Krajan 27, RT 02/RW 09, Bae, Kudus",
        notes="ODP-B2 port 5",
        habit=Habit("cash", lag=0),
    ),
    Person(
        "suparman",
        "Suparman",
        "rw09-bae",
        D(2025, 7, 1),
        "home-10m",
        "The RW 09 chairman pays a year at a time, in cash: paid through November 2027.",
        "enabled",
        "paid",
        address="Jl. Bae Krajan 1, RT 01/RW 09, Bae, Kudus",
        notes="Ketua RW 09",
        outage_credit=True,
        habit=Habit(
            "cash",
            regular=False,
            extra=[
                {
                    "date": D(2025, 12, 1),
                    "amount": 1800000,
                    "method": "cash",
                    "note": "bayar 12 bulan (Des 2025 - Nov 2026)",
                },
                {
                    "date": D(2026, 11, 28),
                    "amount": 1800000,
                    "method": "cash",
                    "note": "bayar 12 bulan (Des 2026 - Nov 2027)",
                },
            ],
        ),
    ),
    Person(
        "yuni-astuti",
        "Yuni Astuti",
        "rw09-bae",
        D(2026, 1, 24),
        "home-10m",
        "A normal customer who pays with an e-wallet.",
        "enabled",
        "paid",
        address="Jl. Dersalam 22, RT 04/RW 09, Bae, Kudus",
        notes="ODP-B4 port 2",
        habit=Habit("ewallet", lag=1),
        outage_credit=True,
    ),
    Person(
        "andi-firmansyah",
        "Andi Firmansyah",
        "rw09-bae",
        D(2025, 9, 18),
        "home-20m",
        "A customer from before the ledger moved to git (opening balance on 2025-12-01).",
        "enabled",
        "paid",
        address="Jl. Bae Krajan 40, RT 02/RW 09, Bae, Kudus",
        notes="ODP-B2 port 7",
        habit=Habit("transfer", lag=2),
        outage_credit=True,
    ),
]

# --- billing, as this script reads SPEC §3 (independent of isk_reconcile.billing) ---------------


def add_months(day: date, months: int) -> date:
    """`day` + `months` calendar months, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def dated_at(value: object, day: date) -> object:
    if not isinstance(value, list):
        return value
    current = None
    for since, item in value:
        if since <= day:
            current = item
    return current


def period_starts(person: Person, until: date) -> list[date]:
    if person.status == "free":
        return []
    starts: list[date] = []
    k = 0
    while True:
        begin = add_months(person.start, k)
        if begin > until or (person.end is not None and begin > person.end):
            return starts
        starts.append(begin)
        k += 1


PROFILE_PRICES: dict[str, list[tuple[date, int]] | int] = {
    "home-10m": 150000,
    "home-20m": [(D(2025, 1, 1), 200000), (D(2027, 1, 1), 220000)],
    "home-50m": 300000,
    "business-100m": 750000,
}


def invoice_amount(person: Person, begin: date) -> int:
    if person.price is not None:
        return int(dated_at(person.price, begin))  # type: ignore[arg-type]
    profile = dated_at(person.profile, begin)
    return int(dated_at(PROFILE_PRICES[str(profile)], begin))  # type: ignore[arg-type]


@dataclass
class Entry:
    customer: str
    amount: int
    day: date
    kind: str = "payment"
    method: str | None = None
    reference: str = ""
    note: str = ""
    id: str = ""


def simulate(person: Person, serial: Iterable[int]) -> list[Entry]:
    """The ledger entries that `person`'s habit produces from LEDGER_START up to AS_OF."""
    habit = person.habit
    numbers = iter(serial)
    explicit = [
        Entry(
            person.id,
            e["amount"],
            e["date"],
            e.get("kind", "payment"),
            e.get("method"),
            e.get("reference", ""),
            e.get("note", ""),
        )
        for e in habit.extra
    ]
    if person.outage_credit and person.start < D(2026, 3, 14):
        explicit.append(
            Entry(
                person.id,
                20000,
                OUTAGE,
                "credit",
                None,
                "",
                "kompensasi gangguan FO putus 14-16 Mar 2026 (tiket 2603-02)",
            )
        )
    starts = period_starts(person, AS_OF)
    before = [s for s in starts if s < LEDGER_START]
    if before:
        opening = sum(invoice_amount(person, s) for s in before)
        explicit.append(
            Entry(
                person.id,
                opening,
                LEDGER_START,
                "payment",
                "other",
                "",
                f"saldo awal: {len(before)} bulan dibayar sebelum buku kas pindah ke git "
                f"({before[0]:%Y-%m} s/d {before[-1]:%Y-%m})",
            )
        )
    planned: list[tuple[date, date]] = []  # (pay day, period start)
    if habit.regular:
        for begin in starts:
            if begin < LEDGER_START or (habit.stop is not None and begin >= habit.stop):
                continue
            planned.append((begin + timedelta(days=habit.late.get(begin, habit.lag)), begin))
    entries: list[Entry] = []
    events = sorted(
        # on the same day the habitual payment comes first (a double transfer is the extra one)
        [(e.day, 1, e, None) for e in explicit] + [(d, 0, None, b) for d, b in planned],
        key=lambda event: (event[0], event[1]),
    )
    for day, _, entry, begin in events:
        if day > AS_OF:
            continue
        if entry is not None:
            entries.append(entry)
            continue
        invoiced = sum(invoice_amount(person, s) for s in starts if s <= day)
        received = sum(e.amount if e.kind != "refund" else -e.amount for e in entries)
        owed = invoiced - received
        amount = habit.partial.get(begin, owed)
        if amount <= 0:
            continue  # covered by credit (paid ahead)
        entries.append(
            Entry(
                person.id,
                amount,
                day,
                "payment",
                habit.method,
                reference_for(habit.method, day, next(numbers)),
            )
        )
    return entries


def reference_for(method: str, day: date, number: int) -> str:
    if method == "transfer":
        bank = ("BCA", "BRI", "Mandiri", "BNI")[number % 4]
        return f"{bank} {day:%d%m}-{number % 97:02d}"
    if method == "qris":
        return f"QRIS {hashlib.sha1(f'{day}{number}'.encode()).hexdigest()[:10].upper()}"
    if method == "ewallet":
        return ("DANA", "OVO", "GoPay", "ShopeePay")[number % 4]
    return ""


def standing(person: Person, entries: list[Entry]) -> tuple[str, str, dict]:
    """(access, cause, facts) on AS_OF, following SPEC §3."""
    starts = period_starts(person, AS_OF)
    amounts = [invoice_amount(person, s) for s in starts]
    credit = sum(e.amount if e.kind != "refund" else -e.amount for e in entries)
    paid = []
    for amount in amounts:
        take = max(0, min(amount, credit))
        paid.append(take)
        credit -= take
    # paid ahead: run the leftover credit over future periods
    future = period_starts(person, D(2030, 1, 1))[len(starts) :]
    ahead = 0
    for begin in future:
        if person.end is not None and begin > person.end:
            break
        if credit < invoice_amount(person, begin):
            break
        credit -= invoice_amount(person, begin)
        ahead += 1
    facts = {
        "partial": any(0 < p < a for p, a in zip(paid, amounts, strict=True)),
        "unpaid": sum(a - p for p, a in zip(paid, amounts, strict=True)),
        "months_ahead": ahead,
    }
    if person.status == "terminated" and person.end is not None and person.end < AS_OF:
        return "absent", "terminated", facts
    if person.start > AS_OF:
        return "absent", "not-started", facts
    if person.status == "free":
        return "enabled", "free", facts
    if person.protect:
        return "enabled", "protected", facts
    if person.status == "suspended":
        return "suspended", "manual", facts
    for begin, amount, p in zip(starts, amounts, paid, strict=True):
        if p < amount and begin + timedelta(days=GRACE_DAYS) < AS_OF:
            return "suspended", "unpaid", facts
    return "enabled", "paid", facts


# --- writing --------------------------------------------------------------------------------


def scalar(value: str) -> str:
    """`value` as YAML: bare when it reads back as the same string, else double-quoted."""
    try:
        if yaml.safe_load(f"k: {value}") == {"k": value} and "#" not in value:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def wrap_comment(text: str, width: int = 90) -> str:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    lines.append(line)
    return "\n".join(lines) + "\n"


def password_for(person: Person) -> str:
    if person.password is not None:
        return person.password
    rng = random.Random(f"isk-example-{person.id}")
    words = ("mawar", "melati", "kenanga", "jati", "muria", "kretek", "jenang", "menara")
    return f"{rng.choice(words)}-{rng.randrange(1000, 9999)}-{rng.choice(words)}"


def phone_for(person: Person) -> str:
    digest = int(hashlib.sha256(person.id.encode()).hexdigest(), 16)
    prefix = ("812", "813", "857", "878", "896")[digest % 5]
    return f"+62{prefix}{digest % 10**8:08d}"


def ciphertext(password: str, recipient: str, existing: str | None, identity: object) -> str:
    """An age ciphertext of `password`, reusing `existing` when it already says the same."""
    if existing and existing.startswith("age:") and identity is not None:
        try:
            old = pyrage.decrypt(base64.b64decode(existing[4:]), [identity]).decode()
        except Exception:  # unreadable old value: encrypt afresh
            old = None
        if old == password:
            return existing
    blob = pyrage.encrypt(password.encode(), [pyrage.x25519.Recipient.from_str(recipient)])
    return "age:" + base64.b64encode(blob).decode()


def customer_yaml(person: Person, password: str) -> str:
    out = wrap_comment(person.story)
    out += f"name: {scalar(person.name)}\n"
    out += f'phone: "{phone_for(person)}"\n'
    if person.email:
        out += f"email: {person.email}\n"
    out += f"address: {scalar(person.address)}\n"
    out += f"router: {person.router}\n"
    out += f"start: {person.start}\n"
    if isinstance(person.profile, list):
        out += "profile:\n" + "".join(
            f"  - {{from: {since}, value: {name}}}\n" for since, name in person.profile
        )
    else:
        out += f"profile: {person.profile}\n"
    if isinstance(person.price, list):
        out += "price:\n" + "".join(
            f"  - {{from: {since}, value: {amount}}}\n" for since, amount in person.price
        )
    elif person.price is not None:
        out += f"price: {person.price}\n"
    out += f"status: {person.status}\n"
    if person.end:
        out += f"end: {person.end}\n"
    if person.suspend_reason:
        out += f"suspend_reason: {scalar(person.suspend_reason)}\n"
    out += "pppoe:\n"
    if person.username:
        out += f'  username: "{person.username}"\n'
    out += f'  password: "{password}"\n'
    if person.remote_address:
        out += f"  remote_address: {person.remote_address}\n"
    if person.caller_id:
        out += f'  caller_id: "{person.caller_id}"\n'
    if person.protect:
        out += "protect: true\n"
    if person.notes:
        out += f"notes: {scalar(person.notes)}\n"
    return out


MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def ledger_yaml(month: date, entries: list[Entry]) -> str:
    out = (
        f"# ISK-NET payment ledger, {MONTHS[month.month - 1]} {month.year}.\n"
        "# Append-only: never edit or delete an entry once merged; correct a mistake with a\n"
        "# refund or credit entry. Ids are P-YYYY-MM-NNNN, numbered in date order.\n"
    )
    for entry in entries:
        out += f"- id: {entry.id}\n"
        out += f"  customer: {entry.customer}\n"
        out += f"  amount: {entry.amount}\n"
        out += f"  date: {entry.day}\n"
        out += f"  kind: {entry.kind}\n"
        if entry.method:
            out += f"  method: {entry.method}\n"
        if entry.reference:
            out += f"  reference: {scalar(entry.reference)}\n"
        if entry.note:
            out += f"  note: {scalar(entry.note)}\n"
    return out


def build(repo: Path) -> tuple[dict[Path, str], list[str]]:
    """Every example file (path -> text) and the check report; raises on a broken story."""
    recipient = (repo / "demo" / "age-recipient.txt").read_text().strip()
    identity_file = repo / "demo" / "age-identity.txt"
    identity = None
    if identity_file.is_file():
        secret = next(
            line
            for line in identity_file.read_text().splitlines()
            if line.startswith("AGE-SECRET-KEY-")
        )
        identity = pyrage.x25519.Identity.from_str(secret)

    files: dict[Path, str] = {
        repo / "state" / "settings.yaml": SETTINGS.format(recipient=recipient),
        repo / "state" / "routers.yaml": ROUTERS,
    }
    for name, text in PROFILES.items():
        files[repo / "state" / "profiles" / f"{name}.yaml"] = text

    ledger: list[Entry] = []
    report, problems = [], []
    counter = iter(range(10**6))
    for person in PEOPLE:
        path = repo / "state" / "customers" / f"{person.id}.yaml"
        existing = None
        if path.is_file():
            loaded = yaml.safe_load(path.read_text()) or {}
            existing = (loaded.get("pppoe") or {}).get("password")
        sealed = ciphertext(password_for(person), recipient, existing, identity)
        files[path] = customer_yaml(person, sealed)
        entries = simulate(person, counter)
        ledger.extend(entries)
        access, cause, facts = standing(person, entries)
        report.append(
            f"{person.id:18} {person.router:10} {access:9} {cause:11} "
            f"unpaid={facts['unpaid']:>7} ahead={facts['months_ahead']:>2} "
            f"partial={facts['partial']}"
        )
        if (access, cause) != (person.expect, person.cause):
            problems.append(
                f"{person.id}: meant {person.expect}/{person.cause}, data gives {access}/{cause}"
            )

    by_month: dict[date, list[Entry]] = {}
    for entry in sorted(ledger, key=lambda e: (e.day, e.customer, e.kind, e.amount)):
        by_month.setdefault(entry.day.replace(day=1), []).append(entry)
    month = LEDGER_START
    while month <= AS_OF:
        entries = by_month.get(month, [])
        for number, entry in enumerate(entries, start=1):
            entry.id = f"P-{month:%Y-%m}-{number:04d}"
        files[repo / "payments" / f"{month:%Y-%m}.yaml"] = ledger_yaml(month, entries)
        month = add_months(month, 1)
    if problems:
        raise SystemExit("the example does not tell its story:\n  " + "\n  ".join(problems))
    return files, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=PROJECT)
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report whether the committed files are up to date",
    )
    args = parser.parse_args(argv)
    files, report = build(args.repo)
    stale = [
        path
        for path, text in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    for line in report:
        print(line)
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(args.repo)}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
    print(f"{len(stale)} file(s) written, {len(files) - len(stale)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
