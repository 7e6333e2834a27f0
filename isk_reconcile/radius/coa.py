"""RFC 5176 Disconnect-Request to a router (UDP, default port 3799), built here with
hashlib/hmac: a few dozen lines, no dependency.

RouterOS 7.15+ drops a request without Message-Authenticator (RFC 3579 / BlastRADIUS
hardening) and MikroTik needs Framed-IP-Address to find the session; both are always
sent, with User-Name and Acct-Session-Id.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import time
from dataclasses import dataclass

DISCONNECT_REQUEST, DISCONNECT_ACK, DISCONNECT_NAK = 40, 41, 42
USER_NAME, FRAMED_IP_ADDRESS, ACCT_SESSION_ID = 1, 8, 44
MESSAGE_AUTHENTICATOR, ERROR_CAUSE = 80, 101
ZERO16 = bytes(16)


@dataclass(frozen=True)
class DisconnectResult:
    username: str
    outcome: str  # "ack" | "nak" | "timeout" | "error"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ack"


def _attr(kind: int, value: bytes) -> bytes:
    if len(value) > 253:
        raise ValueError(f"RADIUS attribute {kind} longer than 253 bytes")
    return struct.pack("!BB", kind, len(value) + 2) + value


def disconnect_packet(
    identifier: int, secret: bytes, username: str, session_id: str, framed_ip: str | None
) -> bytes:
    """A signed Disconnect-Request: Message-Authenticator over the packet with a zero
    authenticator (RFC 5176 §3.5), then the Request Authenticator as for accounting
    (RFC 2866: MD5 of the packet with a zero authenticator, then the secret)."""
    attrs = _attr(USER_NAME, username.encode())
    if session_id:
        attrs += _attr(ACCT_SESSION_ID, session_id.encode())
    if framed_ip:
        attrs += _attr(FRAMED_IP_ADDRESS, ipaddress.IPv4Address(framed_ip).packed)
    attrs += _attr(MESSAGE_AUTHENTICATOR, ZERO16)
    length = 20 + len(attrs)
    header = struct.pack("!BBH", DISCONNECT_REQUEST, identifier, length)
    mac = hmac.new(secret, header + ZERO16 + attrs, hashlib.md5).digest()
    attrs = attrs[:-16] + mac
    authenticator = hashlib.md5(header + ZERO16 + attrs + secret).digest()
    return header + authenticator + attrs


def check_reply(reply: bytes, request: bytes, secret: bytes) -> tuple[int, dict[int, bytes]]:
    """(code, attributes) of a reply whose Response Authenticator checks out."""
    if len(reply) < 20:
        raise ValueError("short reply")
    code, identifier, length = struct.unpack("!BBH", reply[:4])
    if identifier != request[1] or length > len(reply) or length < 20:
        raise ValueError("reply does not match the request")
    body = reply[20:length]
    expected = hashlib.md5(reply[:4] + request[4:20] + body + secret).digest()
    if not hmac.compare_digest(expected, reply[4:20]):
        raise ValueError("reply authenticator is wrong (shared secret mismatch?)")
    attrs: dict[int, bytes] = {}
    offset = 0
    while offset + 2 <= len(body):
        kind, size = body[offset], body[offset + 1]
        if size < 2:
            break
        attrs[kind] = body[offset + 2 : offset + size]
        offset += size
    return code, attrs


def send_disconnect(
    address: str,
    port: int,
    secret: str,
    username: str,
    session_id: str,
    framed_ip: str | None,
    timeout: float = 3.0,
    tries: int = 3,
) -> DisconnectResult:
    """Send one Disconnect-Request and wait for ACK/NAK within `timeout` seconds in total
    (retransmitted `tries` times: UDP)."""
    identifier = os.urandom(1)[0]
    request = disconnect_packet(identifier, secret.encode(), username, session_id, framed_ip)
    deadline = time.monotonic() + timeout
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        for attempt in range(tries):
            try:
                sock.sendto(request, (address, port))
            except OSError as problem:
                return DisconnectResult(username, "error", str(problem))
            wait_until = min(deadline, time.monotonic() + timeout / tries)
            if attempt == tries - 1:
                wait_until = deadline
            outcome = _await_reply(sock, request, secret.encode(), username, wait_until)
            if outcome is not None:
                return outcome
    return DisconnectResult(username, "timeout", f"no reply from {address}:{port}")


def _await_reply(
    sock: socket.socket, request: bytes, secret: bytes, username: str, until: float
) -> DisconnectResult | None:
    while (left := until - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            reply, _ = sock.recvfrom(4096)
        except TimeoutError:
            return None
        except OSError as problem:  # e.g. ICMP port unreachable
            return DisconnectResult(username, "error", str(problem))
        try:
            code, attrs = check_reply(reply, request, secret)
        except ValueError:
            continue  # not ours, or forged: keep waiting
        if code == DISCONNECT_ACK:
            return DisconnectResult(username, "ack")
        cause = attrs.get(ERROR_CAUSE)
        detail = f"Error-Cause {int.from_bytes(cause, 'big')}" if cause else ""
        return DisconnectResult(username, "nak" if code == DISCONNECT_NAK else "error", detail)
    return None
