"""A small real SMTP server on 127.0.0.1 that records what it receives (Python 3.12 has no
smtpd module, and aiosmtpd is not a dependency): enough of RFC 5321 for smtplib, which
apprise's mailto:// plugin uses. AUTH PLAIN and LOGIN are offered on the plain connection
(loopback only), so tests can check the login arrives and never ends up in a message."""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes  # the message as it arrived (dot-unstuffed)
    login: tuple[str, str] | None  # (user, password) the client authenticated with

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    """`refuse`: recipients answered 550; `password`: required when set (535 otherwise)."""

    refuse: set[str] = field(default_factory=set)
    password: str | None = None
    received: list[Mail] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> SmtpServer:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _handler(owner: SmtpServer) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        timeout = 10

        def reply(self, line: str) -> None:
            self.wfile.write(line.encode("ascii") + b"\r\n")
            self.wfile.flush()

        def read_line(self) -> str:
            return self.rfile.readline(65536).decode("utf-8", errors="replace").rstrip("\r\n")

        def handle(self) -> None:
            self.reply("220 127.0.0.1 test SMTP ready")
            self.sender, self.recipients, self.login = "", [], None
            while True:
                line = self.read_line()
                if not line and self.rfile.closed:
                    return
                verb, _, rest = line.partition(" ")
                verb = verb.upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250-127.0.0.1\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
                    self.wfile.flush()
                elif verb == "AUTH":
                    self.authenticate(rest)
                elif verb == "MAIL":
                    self.sender, self.recipients = _address(rest), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    self.recipient(_address(rest))
                elif verb == "DATA":
                    self.data()
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "QUIT" or not line:
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

        def authenticate(self, rest: str) -> None:
            method, _, initial = rest.partition(" ")
            if method.upper() == "PLAIN":
                if not initial:
                    self.reply("334 ")
                    initial = self.read_line()
                _, user, password = base64.b64decode(initial).decode().split("\0")
            elif method.upper() == "LOGIN":  # smtplib sends the user name with the verb
                if not initial:
                    self.reply("334 VXNlcm5hbWU6")
                    initial = self.read_line()
                user = base64.b64decode(initial).decode()
                self.reply("334 UGFzc3dvcmQ6")
                password = base64.b64decode(self.read_line()).decode()
            else:
                self.reply("504 unsupported")
                return
            with owner.lock:
                owner.logins.append((user, password))
            if owner.password is not None and password != owner.password:
                self.reply("535 authentication failed")
                return
            self.login = (user, password)
            self.reply("235 authenticated")

        def recipient(self, address: str) -> None:
            if address in owner.refuse:
                self.reply("550 no such mailbox")
            else:
                self.recipients.append(address)
                self.reply("250 OK")

        def data(self) -> None:
            self.reply("354 end with <CRLF>.<CRLF>")
            lines: list[bytes] = []
            while True:
                raw = self.rfile.readline(1_000_000)
                if raw in (b".\r\n", b".\n", b""):
                    break
                lines.append(raw[1:] if raw.startswith(b"..") else raw)
            with owner.lock:
                owner.received.append(
                    Mail(self.sender, list(self.recipients), b"".join(lines), self.login)
                )
            self.reply("250 queued")

    return Handler


def _address(rest: str) -> str:
    """'FROM:<a@b> SIZE=10' -> 'a@b'."""
    inside = rest.partition("<")[2].partition(">")[0]
    return inside.strip()
