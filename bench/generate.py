"""Generate a synthetic ISP state repository for benchmarks (SPEC §9).

    python bench/generate.py --customers 10000 --routers 5 --months 12 --out DIR \\
        [--seed 1] [--as-of 2026-11-29] [--base-port 28728] [--plaintext-passwords] [--replace]

The reference data set is 10,000 customers on 5 routers with 12 months of payments
(about 120,000 ledger entries). The repository is complete and valid: settings (with the
demo age recipient), routers on 127.0.0.1 at consecutive ports from --base-port, six
profiles, one file per customer and one ledger file per month. The mix is realistic:
most customers pay each period within a few days, some pay late or stopped paying, a few
are free, terminated, suspended by hand, paid months ahead or not started yet.

Everything is a function of --seed except the age ciphertexts (age encryption is
randomised); the plaintext passwords are the same for the same seed. Files are written
with string formatting, not yaml.dump, so 10,000 customers take a few seconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyrage

PROJECT = Path(__file__).resolve().parent.parent
DEMO_RECIPIENT_FILE = PROJECT / "demo" / "age-recipient.txt"
DEFAULT_AS_OF = date(2026, 11, 29)
DEFAULT_BASE_PORT = 28728
GRACE_DAYS = 3

# name -> (price, rate limit, description)
PROFILES = {
    "home-10m": (150000, "10M/10M", "Paket Rumah 10 Mbps"),
    "home-20m": (200000, "20M/20M 25M/25M 15M/15M 8/8 8 10M/10M", "Paket Rumah 20 Mbps"),
    "home-30m": (250000, "30M/30M", "Paket Rumah 30 Mbps"),
    "home-50m": (300000, "50M/50M", "Paket Rumah 50 Mbps"),
    "business-100m": (750000, "100M/100M", "Paket Bisnis 100 Mbps"),
}
PROFILE_WEIGHTS = (40, 30, 12, 13, 5)
# home-20m gets a price rise this long after the as-of date: future-dated, changes no invoice.
PRICE_RISE_AFTER = timedelta(days=33)

# What kind of payer a customer is, and how likely.
KINDS = (
    ("ontime", 83.0),  # pays every period 0-3 days after it starts
    ("late", 4.0),  # often pays after the grace period, but catches up
    ("overdue", 4.0),  # stopped paying 1-3 periods ago: suspended
    ("free", 3.0),  # never billed
    ("terminated", 2.0),  # service ended before the as-of date (some still owe)
    ("ahead", 2.0),  # paid 6 or 12 periods in one go
    ("suspended", 1.0),  # suspended by hand
    ("future", 1.0),  # starts after the as-of date
)

FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Dewi", "Eko", "Rina", "Joko", "Sri", "Hendra", "Nur", "Wahyu",
    "Ratna", "Bambang", "Fitri", "Yanto", "Arif", "Mega", "Slamet", "Nurul", "Heru",
    "Kartini", "Taufik", "Yuni", "Andi", "Lukman", "Ahmad", "Dwi", "Rudi", "Indah", "Fajar",
)  # fmt: skip
LAST_NAMES = (
    "Santoso", "Rahayu", "Prasetyo", "Lestari", "Saputro", "Wulandari", "Susilo", "Mulyani",
    "Gunawan", "Hidayah", "Hidayat", "Sari", "Sutrisno", "Handayani", "Wibowo", "Rahman",
    "Putri", "Riyadi", "Aini", "Setiawan", "Wijaya", "Astuti", "Firmansyah", "Hakim",
    "Fauzi", "Kurniawan", "Hartono", "Nugroho", "Maulana", "Pratama",
)  # fmt: skip
ACCENTED_NAMES = ("José Ramírez", "Zoë Hartono", "Jürgen Schäfer", "Renée Wijaya")
STREETS = ("Mawar", "Melati", "Kenanga", "Sunan Muria", "Ahmad Yani", "Jati Wetan",
           "Bae Krajan", "Dersalam", "Lingkar Timur", "Pemuda")  # fmt: skip
METHODS = ("cash", "transfer", "transfer", "qris", "ewallet")


@dataclass
class Entry:
    customer: str
    amount: int
    day: date
    kind: str
    method: str | None
    reference: str = ""
    note: str = ""


@dataclass
class Synthetic:
    id: str
    kind: str
    router: str
    start: date
    profile: str
    price: int  # what the customer pays per period (profile price or a discount)
    discount: bool
    end: date | None


# --- dates ------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` + `months` calendar months, clamped to the month's last day (SPEC §3 monthly)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_first - timedelta(days=1)).day))


def period_starts(start: date, until: date) -> list[date]:
    starts, k = [], 0
    while (begin := add_months(start, k)) <= until:
        starts.append(begin)
        k += 1
    return starts


# --- the population ---------------------------------------------------------------------------


def make_customers(rng: random.Random, count: int, routers: list[str], window: date,
                   as_of: date) -> list[Synthetic]:  # fmt: skip
    """`count` customers; most start in the ledger's first month so they are billed all year."""
    kinds = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS], k=count)
    profiles = rng.choices(list(PROFILES), weights=PROFILE_WEIGHTS, k=count)
    span_days = max(1, (as_of - window).days - 28)
    people = []
    for n in range(count):
        kind = kinds[n]
        if kind == "future":
            start = as_of + timedelta(days=rng.randint(1, 20))
        elif kind not in ("terminated", "ahead") and rng.random() < 0.6:
            # a customer from before the ledger: an opening balance covers the earlier periods
            start = window - timedelta(days=rng.randint(1, 730))
        elif rng.random() < 0.85 or kind in ("terminated", "ahead"):
            start = window + timedelta(days=rng.randint(0, 27))
        else:  # joined during the year
            start = window + timedelta(days=rng.randint(28, 28 + span_days))
        end = None
        if kind == "terminated":
            end = start + timedelta(days=rng.randint(60, max(61, (as_of - start).days - 2)))
            end = min(end, as_of - timedelta(days=1))
        profile = profiles[n]
        price = PROFILES[profile][0]
        discount = profile.startswith("home") and rng.random() < 0.04
        if discount:
            price -= 30000
        people.append(Synthetic(f"c{n + 1:05d}", kind, routers[n % len(routers)], start,
                                profile, price, discount, end))  # fmt: skip
    return people


def payments_for(rng: random.Random, person: Synthetic, window: date, as_of: date) -> list[Entry]:
    """The ledger entries of one customer, in date order, none after `as_of`."""
    if person.kind in ("free", "future"):
        return []
    until = as_of if person.end is None else min(as_of, person.end)
    every = period_starts(person.start, until)
    starts = [s for s in every if s >= window]
    method = rng.choice(METHODS)
    entries: list[Entry] = []
    before = len(every) - len(starts)
    if before:
        note = f"saldo awal: {before} periode sebelum {window:%Y-%m}"
        entries.append(
            Entry(person.id, before * person.price, window, "payment", "other", "", note)
        )

    def pay(day: date, amount: int, note: str = "") -> None:
        if day <= as_of:
            reference = f"TRX{rng.randrange(10**8):08d}" if method != "cash" else ""
            entries.append(Entry(person.id, amount, day, "payment", method, reference, note))

    skip_until = -1
    stop = len(starts)
    lump_at = max(0, len(starts) - rng.randint(1, 3))  # "ahead": a lump sum 0-2 periods ago
    if person.kind == "overdue":
        stop = max(0, len(starts) - rng.randint(1, 3))
    elif person.kind in ("suspended", "terminated") and rng.random() < 0.5:
        stop = max(0, len(starts) - 1)  # left (or was cut off) owing the last period
    for index, begin in enumerate(starts[:stop]):
        if index <= skip_until:
            continue
        if person.kind == "ahead" and index == lump_at:
            months = rng.choice((6, 12))
            pay(begin, months * person.price, f"bayar {months} bulan di muka")
            skip_until = index + months - 1
            continue
        lag = rng.randint(0, 3)
        if person.kind == "late" and rng.random() < 0.4:
            lag = rng.randint(GRACE_DAYS + 1, 10)
        if rng.random() < 0.08:  # paid in two instalments
            half = person.price // 2
            pay(begin + timedelta(days=lag), half, "cicilan 1")
            pay(begin + timedelta(days=lag + rng.randint(0, 2)), person.price - half, "cicilan 2")
        else:
            pay(begin + timedelta(days=lag), person.price)
    if entries and rng.random() < 0.004:  # a double transfer, refunded a few days later
        twice = entries[-1]
        refund_day = twice.day + timedelta(days=3)
        if refund_day <= as_of:
            entries.append(Entry(person.id, twice.amount, twice.day, "payment", "transfer",
                                 "", "transfer ganda"))  # fmt: skip
            entries.append(Entry(person.id, twice.amount, refund_day, "refund", "transfer",
                                 "", "refund transfer ganda"))  # fmt: skip
    if entries and rng.random() < 0.006:  # compensation for an outage
        day = entries[0].day + timedelta(days=rng.randint(1, 20))
        if day <= as_of:
            entries.append(Entry(person.id, 20000, day, "credit", None, "",
                                 "kompensasi gangguan jaringan"))  # fmt: skip
    return entries


# --- writing ----------------------------------------------------------------------------------


def settings_yaml(recipient: str, plaintext: bool) -> str:
    return (
        "# Synthetic ISP for benchmarks (bench/generate.py). Not real customers.\n"
        "timezone: Asia/Jakarta\n"
        "currency: IDR\n"
        "billing: {cycle: monthly, mode: prepaid, grace_days: 3}\n"
        "suspend: {mode: disable, isolate_profile: isolir, disconnect: true}\n"
        "safety: {max_disable_percent: 30, max_delete_percent: 10, min_managed: 10}\n"
        "secrets:\n"
        f"  recipients: [{recipient}]   # the DEMO key (demo/age-identity.txt)\n"
        f"  allow_plaintext: {'true' if plaintext else 'false'}\n"
        "comment_prefix: isk\n"
    )


def routers_yaml(routers: list[str], base_port: int) -> str:
    out = "# Simulated routers on loopback only (isk sim serve); one API port each.\n"
    for index, name in enumerate(routers):
        variable = "ISK_ROUTER_" + name.upper().replace("-", "_") + "_PASSWORD"
        out += (
            f"{name}:\n"
            "  host: 127.0.0.1\n"
            f"  port: {base_port + index}\n"
            "  tls: false\n"
            "  username: isk-api\n"
            f"  password_env: {variable}\n"
            "  timeout: 10\n"
            f"  description: Synthetic router {index + 1}\n"
            "  pools:  # every pool the packages name exists before anything is written\n"
            "    pool-home: {ranges: [10.64.0.10-10.95.255.250]}\n"
            "    pool-business: {ranges: [10.96.0.10-10.96.255.250]}\n"
            "    pool-isolir: {ranges: [10.99.0.10-10.99.255.250]}\n"
        )
    return out


def profile_yaml(name: str, as_of: date) -> str:
    price, rate, description = PROFILES[name]
    if name == "home-20m":
        rise = as_of + PRICE_RISE_AFTER
        price_text = f"[{{from: 2020-01-01, value: {price}}}, {{from: {rise}, value: 220000}}]"
    else:
        price_text = str(price)
    pool = "pool-business" if name.startswith("business") else "pool-home"
    return (
        f"description: {description}\n"
        f"price: {price_text}\n"
        f"rate_limit: {rate}\n"
        "local_address: 10.20.0.1\n"
        f"remote_address: {pool}\n"
        "dns_server: [10.20.0.1, 1.1.1.1]\n"
        "only_one: true\n"
    )


ISOLIR_YAML = (
    "# Walled garden for isolated accounts: not sellable (no price).\n"
    "description: Isolir - menunggu pembayaran\n"
    "rate_limit: 512k/512k\n"
    "remote_address: pool-isolir\n"
    "address_list: isolir\n"
)


def customer_yaml(rng: random.Random, person: Synthetic, index: int, password: str) -> str:
    if index % 2500 == 7:
        name = ACCENTED_NAMES[(index // 2500) % len(ACCENTED_NAMES)]
    else:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    status = {"free": "free", "terminated": "terminated", "suspended": "suspended"}.get(
        person.kind, "active"
    )
    lines = [
        f"name: {json.dumps(name, ensure_ascii=False)}",
        f'phone: "+62812{rng.randrange(10**8):08d}"',
        f"address: Jl. {rng.choice(STREETS)} {rng.randint(1, 150)}, "
        f"RT {rng.randint(1, 9):02d}/RW {rng.randint(1, 12):02d}, Kudus",
        f"router: {person.router}",
        f"start: {person.start}",
        f"profile: {person.profile}",
    ]
    if person.discount:
        lines.append(f"price: {person.price}")
    lines.append(f"status: {status}")
    if person.end is not None:
        lines.append(f"end: {person.end}")
    if person.kind == "suspended":
        lines.append("suspend_reason: menunggu verifikasi (synthetic)")
    lines.append("pppoe:")
    if index % 100 == 13:  # a username YAML would read as a number: quoted, unique
        lines.append(f'  username: "08{index:08d}"')
    lines.append(f'  password: "{password}"')
    if index % 50 == 3:
        lines.append(f"  remote_address: 10.{100 + index // 65000}.{index // 250 % 256}."
                     f"{index % 250 + 2}")  # fmt: skip
    if index % 20 == 5:
        lines.append(f'  caller_id: "02:00:{index >> 16 & 255:02X}:{index >> 8 & 255:02X}:'
                     f'{index & 255:02X}:01"')  # fmt: skip
    if person.kind == "free" and index % 3 == 0:
        lines.append("protect: true")
    return "\n".join(lines) + "\n"


def ledger_yaml(month: date, entries: list[Entry]) -> str:
    parts = [f"# Synthetic ledger, {month:%Y-%m}.\n"]
    for number, entry in enumerate(entries, start=1):
        text = (
            f"- id: P-{month:%Y-%m}-{number:05d}\n"
            f"  customer: {entry.customer}\n"
            f"  amount: {entry.amount}\n"
            f"  date: {entry.day}\n"
            f"  kind: {entry.kind}\n"
        )
        if entry.method:
            text += f"  method: {entry.method}\n"
        if entry.reference:
            text += f"  reference: {entry.reference}\n"
        if entry.note:
            text += f"  note: {json.dumps(entry.note, ensure_ascii=False)}\n"
        parts.append(text)
    return "".join(parts)


def password_text(rng: random.Random, index: int) -> str:
    if index % 500 == 11:
        return str(rng.randrange(10**6, 10**8))  # all digits: librouteros reads it as an int
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(12))


def generate(
    out: Path,
    customers: int,
    routers: int,
    months: int,
    seed: int,
    as_of: date,
    plaintext: bool,
    *,
    base_port: int = DEFAULT_BASE_PORT,
    replace: bool = False,
) -> None:
    """Write a complete, valid synthetic state repository into `out`.

    Refuses to touch an existing `out/state` or `out/payments` unless `replace`.
    """
    if customers < 1 or routers < 1 or months < 1:
        raise ValueError("customers, routers and months must be at least 1")
    out = Path(out)
    for sub in ("state", "payments"):
        if (out / sub).exists():
            if not replace:
                raise FileExistsError(f"{out / sub} exists (pass replace=True / --replace)")
            shutil.rmtree(out / sub)
    rng = random.Random(seed)
    window = add_months(as_of.replace(day=1), -(months - 1))  # first day of the ledger
    router_names = [f"rtr-{n + 1:02d}" for n in range(routers)]
    people = make_customers(rng, customers, router_names, window, as_of)

    (out / "state" / "profiles").mkdir(parents=True)
    (out / "state" / "customers").mkdir(parents=True)
    (out / "payments").mkdir(parents=True)
    recipient_text = DEMO_RECIPIENT_FILE.read_text().strip()
    (out / "state" / "settings.yaml").write_text(settings_yaml(recipient_text, plaintext))
    (out / "state" / "routers.yaml").write_text(routers_yaml(router_names, base_port))
    for name in PROFILES:
        (out / "state" / "profiles" / f"{name}.yaml").write_text(profile_yaml(name, as_of))
    (out / "state" / "profiles" / "isolir.yaml").write_text(ISOLIR_YAML)

    recipient = [pyrage.x25519.Recipient.from_str(recipient_text)]
    customer_dir = out / "state" / "customers"
    by_month: dict[date, list[Entry]] = {}
    for index, person in enumerate(people):
        plain = password_text(rng, index)
        if plaintext:
            stored = plain
        else:
            stored = "age:" + base64.b64encode(pyrage.encrypt(plain.encode(), recipient)).decode()
        text = customer_yaml(rng, person, index, stored)
        (customer_dir / f"{person.id}.yaml").write_text(text, encoding="utf-8")
        for entry in payments_for(rng, person, window, as_of):
            by_month.setdefault(entry.day.replace(day=1), []).append(entry)

    month = window
    while month <= as_of:
        entries = sorted(by_month.get(month, []), key=lambda e: (e.day, e.customer, e.kind))
        (out / "payments" / f"{month:%Y-%m}.yaml").write_text(ledger_yaml(month, entries))
        month = add_months(month, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic ISP state repository.")
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--routers", type=int, default=5)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT)
    parser.add_argument(
        "--plaintext-passwords",
        action="store_true",
        help="store passwords in plaintext (secrets.allow_plaintext: true); for benchmarks "
        "that do not measure decryption",
    )
    parser.add_argument("--replace", action="store_true", help="replace existing state/payments")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        generate(
            args.out,
            args.customers,
            args.routers,
            args.months,
            args.seed,
            args.as_of,
            args.plaintext_passwords,
            base_port=args.base_port,
            replace=args.replace,
        )
    except (FileExistsError, ValueError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    entries = sum(
        path.read_text().count("\n- id: ") + path.read_text().startswith("- id: ")
        for path in (args.out / "payments").glob("*.yaml")
    )
    statuses = Counter(
        line.split(": ", 1)[1]
        for path in (args.out / "state" / "customers").glob("*.yaml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("status: ")
    )
    print(json.dumps({
        "out": str(args.out),
        "customers": args.customers,
        "routers": args.routers,
        "ledger_entries": entries,
        "statuses": dict(sorted(statuses.items())),
        "encrypted": not args.plaintext_passwords,
        "seconds": round(time.perf_counter() - began, 2),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
