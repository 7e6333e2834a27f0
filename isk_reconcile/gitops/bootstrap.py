"""A new state repository (`isk init`): the files' texts, pure, and the example ISP.

`new_repository_files` returns path → text for a fresh ISP: settings.yaml with every key
written out and commented (so the file documents itself), an empty routers.yaml with a
commented example, a `.gitignore` and a short README for the operator. The caller
writes them and makes the first commit. The example ISP (`isk init --example`, `isk
demo` outside a clone) is shipped inside the package as `isk_reconcile/example/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from isk_reconcile.errors import IskError
from isk_reconcile.gitops.ci_templates import ensure_gitignore
from isk_reconcile.state.writer import yaml_scalar


@dataclass(frozen=True)
class NewIsp:
    name: str
    timezone: str = "Asia/Jakarta"
    cycle: str = "monthly"
    grace_days: int = 3
    suspend_mode: str = "disable"
    language: str = "id"
    recipient: str = ""  # the age public key passwords are encrypted to


def new_repository_files(isp: NewIsp) -> dict[str, str]:
    """path (relative to the new repository) → text, for every file `isk init` writes but
    the `.gitignore` (`write_new_repository` writes it, through `ensure_gitignore`)."""
    return {
        "state/settings.yaml": settings_text(isp),
        "state/routers.yaml": ROUTERS,
        "state/profiles/.gitkeep": "",
        "state/customers/.gitkeep": "",
        "payments/.gitkeep": "",
        "README.md": readme_text(isp),
    }


def settings_text(isp: NewIsp) -> str:
    isolate = "isolir" if isp.suspend_mode == "isolate" else "null"
    return f"""\
# Settings of {isp.name}. Every key is written out with its meaning; `isk validate`
# checks them. Per-router overrides of `suspend` and `safety` go in routers.yaml.
isp:
  name: {yaml_scalar(isp.name)}
  contact: ""               # office phone or e-mail, shown to customers in messages
# id | en: what operators, managers and customers read
language: {isp.language}
# "today" (the default --as-of) is computed in this zone
timezone: {isp.timezone}
currency: IDR               # display only; money is always an integer number of rupiah
billing:
  # monthly: the same day each month | 30d: periods of 30 days
  cycle: {isp.cycle}
  # prepaid: due on a period's first day | postpaid: due the day after it ends
  mode: prepaid
  # suspend when an invoice is still unpaid this many days after it was due
  grace_days: {isp.grace_days}
suspend:
  # disable: the secret gets disabled=yes | isolate: it moves to isolate_profile
  mode: {isp.suspend_mode}
  # a profile in state/profiles, needed for mode isolate
  isolate_profile: {isolate}
  disconnect: true          # drop the live session when access changes, so it applies now
safety:
  max_disable_percent: 30   # a plan disabling/isolating > 30% of a router's accounts is unsafe
  max_delete_percent: 10    # ... or deleting > 10% of them
  min_managed: 10           # routers with fewer managed accounts are exempt from these two
  max_disable_percent_any_size: 50   # but disabling > 50% is unsafe at any size
secrets:
  recipients:               # PPPoE passwords are age-encrypted to these public keys
    - {isp.recipient}
  allow_plaintext: false    # never accept a plaintext password in git
comment_prefix: isk         # RouterOS comments starting with "isk:" mark what isk manages
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
# The routers, by name. Nothing here yet: add one per MikroTik router, for example
#
# core:
#   host: 192.0.2.1                         # the router's management address
#   tls: true                               # api-ssl on 8729 (see docs/routeros-client.md)
#   username: isk-api                       # an API user (group: api,read,write,sensitive)
#   password_env: ISK_ROUTER_CORE_PASSWORD  # the API password: this variable, never git
#   timeout: 10
#   description: Core router
#
# then `isk router check core` and `isk import --router core`.
{}
"""


def readme_text(isp: NewIsp) -> str:
    return f"""\
# {isp.name}: the state repository

Customers, packages, routers and payments of {isp.name}, managed with isk-reconcile.

- `state/settings.yaml`: billing cycle, grace days, suspension, safety limits, keys.
- `state/routers.yaml`: the MikroTik routers (API passwords come from environment variables).
- `state/profiles/`, `state/customers/`: one package / one customer per file.
- `payments/`: the append-only ledger (`isk pay` writes it; never edit a merged entry).

Daily work: `isk validate`, `isk pay CUSTOMER AMOUNT`, `isk plan`, `isk apply`, `isk status`.
The age identity that decrypts PPPoE passwords is NOT in this repository: keep it safe
and give it to CI as the secret `ISK_AGE_IDENTITY`.
"""


def example_repository() -> Path:
    """The example ISP shipped inside the package (state/, payments/, demo/)."""
    return Path(str(resources.files("isk_reconcile") / "example"))


def write_new_repository(
    target: Path, files: dict[str, str], message: str, *, example: bool = False
) -> str | None:
    """Write `files` and the `.gitignore` (the example's, when `example`) into the empty
    directory `target`, `git init` it and commit them.

    Returns the short sha of the first commit, or None when git has no identity to
    commit as (the files are then written and staged; the caller says so). Refuses, before
    writing anything, a directory that already holds any of the files or a state repo."""
    import git  # imported here: only init talks to git at this point

    clashes = [path for path in [*files, ".gitignore"] if (target / path).exists()]
    if (target / "state").exists() or clashes:
        shown = ", ".join(sorted(clashes)) or "state/"
        raise IskError(f"{target} already has {shown}: isk init never overwrites; pick a new DIR")
    for relpath, text in files.items():
        path = target / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
            handle.write(text)
    ensure_gitignore(target, example=example)
    handle = git.Repo.init(target, initial_branch="main")
    handle.git.add("--", *files, ".gitignore")
    reader = handle.config_reader()
    if not (reader.get_value("user", "email", default="") or os.environ.get("GIT_AUTHOR_EMAIL")):
        return None
    handle.git.commit("-q", "-m", message)
    return handle.head.commit.hexsha[:12]


def copy_example(target: Path) -> dict[str, str]:
    """The example ISP's files (state/, payments/ and the labelled demo identity) as
    path → text, for `isk init --example` (its `.gitignore`: `write_new_repository`)."""
    source = example_repository()
    files: dict[str, str] = {}
    for folder in ("state", "payments", "demo"):
        root = source / folder
        for path in sorted(root.rglob("*")):
            if path.is_file():
                files[f"{folder}/{path.relative_to(root).as_posix()}"] = path.read_text("utf-8")
    return files
