"""The `isk-plan/1` JSON document (SPEC §6): `--format json` and saved plan files.

A saved plan (`saved=True`) also holds what apply needs: per change the target
attributes and, when the change writes a password, the stored `age:` ciphertext (or,
in a repo that allows plaintext, a reference to the customer so that apply re-derives
it). A plaintext password is never written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.plan_types import ACTIONS, Change, Plan, RouterPlan
from isk_reconcile.state.model import State
from isk_reconcile.untrusted import CONTROL

FORMAT = "isk-plan/1"
BOOLEAN_FIELDS = frozenset({"disabled"})


def to_document(plan: Plan, *, saved: bool = False) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "as_of": plan.as_of.isoformat(),
        "commit": plan.commit,
        "adopt": plan.adopt,
        "warnings": list(plan.warnings),
        "routers": [_router(router, saved) for router in plan.routers],
    }


def render_json(plan: Plan, *, saved: bool = False) -> str:
    return json_text(to_document(plan, saved=saved))


def json_text(document: Any) -> str:
    """Indented JSON whose text holds no control character: json escapes C0 itself; DEL,
    C1 and bidi controls (router comments may hold them) are written as \\u escapes too."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    # json.dumps already escaped every C0 character inside strings: a raw one is layout.
    return CONTROL.sub(
        lambda found: found.group() if found.group() < " " else f"\\u{ord(found.group()):04x}",
        text,
    )


def _router(router: RouterPlan, saved: bool) -> dict[str, Any]:
    summary = dict.fromkeys((*ACTIONS, "unmanaged"), 0)
    summary.update(router.summary)
    document = {
        "router": router.router,
        "status": router.status,
        "error": router.error,
        # Why a router was not contacted (status skipped), else null.
        "note": "; ".join(router.notes) if router.status == "skipped" else None,
        "fingerprint": router.fingerprint,
        "summary": summary,
        "unsafe_reason": router.unsafe_reason,
        "notes": list(router.notes),
        "changes": [_change(change, saved) for change in router.changes],
    }
    if router.target != "router":  # the RADIUS store; routers keep the original shape
        document["target"] = router.target
    return document


def _change(change: Change, saved: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "action": change.action,
        "kind": change.kind,
        "name": change.name,
        "customer": change.customer,
        "reason": change.reason,
        "fields": {
            key: {"from": _shown(key, before), "to": _shown(key, after)}
            for key, (before, after) in change.fields.items()
        },
    }
    if saved:
        document["target"] = dict(change.target)
        if change.password_source is not None:
            if change.password_source.startswith("age:"):
                document["password"] = {"age": change.password_source}
            else:
                document["password"] = {"customer": change.customer}
    return document


def _shown(key: str, value: str | None) -> Any:
    if key in BOOLEAN_FIELDS and value in ("true", "false"):
        return value == "true"
    return value


def _stored(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def load_plan(text: str, state: State) -> Plan:
    """A saved plan file back as a Plan (passwords re-derived from the ciphertext)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as problem:
        raise IskError(f"plan file is not JSON: {problem}") from None
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise IskError(f"plan file is not an {FORMAT} document")
    try:
        return Plan(
            as_of=date.fromisoformat(document["as_of"]),
            commit=document.get("commit"),
            routers=tuple(_load_router(router, state) for router in document["routers"]),
            adopt=document.get("adopt", False) is True,
            warnings=tuple(str(warning) for warning in document.get("warnings", ())),
        )
    except (KeyError, TypeError, ValueError) as problem:
        raise IskError(f"plan file is malformed: {type(problem).__name__} {problem}") from None


def _load_router(document: Mapping[str, Any], state: State) -> RouterPlan:
    return RouterPlan(
        router=document["router"],
        status=document["status"],
        error=document.get("error"),
        fingerprint=document.get("fingerprint"),
        summary=dict(document.get("summary", {})),
        changes=tuple(_load_change(change, state) for change in document["changes"]),
        unsafe_reason=document.get("unsafe_reason"),
        notes=tuple(document.get("notes", ())),
        target=str(document.get("target", "router")),
    )


def _load_change(document: Mapping[str, Any], state: State) -> Change:
    if "target" not in document and document["action"] not in ("delete", "disconnect", "conflict"):
        raise IskError("plan has no apply data: save it with `isk plan --out FILE`")
    source: str | None = None
    password = document.get("password")
    if password is not None:
        if "age" in password:
            source = str(password["age"])
        else:
            customer = state.customers.get(password.get("customer", ""))
            if customer is None or customer.pppoe.password is None:
                raise IskError(f"plan file: no password for customer {password.get('customer')}")
            source = customer.pppoe.password
    return Change(
        action=document["action"],
        kind=document["kind"],
        name=str(document["name"]),
        customer=document.get("customer"),
        reason=document.get("reason", ""),
        fields={
            key: (_stored(value.get("from")), _stored(value.get("to")))
            for key, value in document.get("fields", {}).items()
        },
        target={key: str(value) for key, value in document.get("target", {}).items()},
        password_source=source,
    )
