"""Message text: one jinja2 template per (language, event), built in, each overridable by
`notifications/templates/<language>/<event>.txt` in the state repository.

The repository is untrusted, so templates run in jinja2's sandbox over plain strings
only (no object a template could walk to a password), and StrictUndefined turns any
variable the context lacks into an error: a message with an unrendered variable is
never sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

OVERRIDE_DIR = "notifications/templates"
BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
MAX_TEMPLATE_BYTES = 16_000
MAX_MESSAGE_CHARS = 4_000  # Telegram's limit is 4096; WhatsApp gateways take about as much
MAX_SUBJECT_CHARS = 200  # an e-mail subject: one line
SUBJECT = ".subject"  # <event>.subject.txt: the e-mail subject of <event>


class TemplateProblem(Exception):
    """A template that cannot produce a complete message (names the file)."""


class _Sandbox(SandboxedEnvironment):
    # `**` can build numbers large enough to hang the daily job: refuse it.
    intercepted_binops = frozenset({"**"})

    def call_binop(self, context, operator, left, right):  # noqa: ANN001, ANN201
        if operator == "**":
            raise SecurityError("the ** operator is not allowed in notification templates")
        return super().call_binop(context, operator, left, right)


def environment() -> SandboxedEnvironment:
    return _Sandbox(undefined=StrictUndefined, autoescape=False)


@dataclass
class Templates:
    """Compiled templates for one repository, compiled once per (language, event)."""

    repo: Path | None
    _compiled: dict[tuple[str, str], tuple[str, Template]] = field(default_factory=dict)
    _env: SandboxedEnvironment = field(default_factory=environment)

    def source(self, language: str, event: str) -> tuple[str, str]:
        """(where, text) of the template in force: the repository's override, else ours."""
        if self.repo is not None:
            override = self.repo / OVERRIDE_DIR / language / f"{event}.txt"
            if override.is_file():
                where = f"{OVERRIDE_DIR}/{language}/{event}.txt"
                data = override.read_bytes()
                if len(data) > MAX_TEMPLATE_BYTES:
                    raise TemplateProblem(f"{where}: larger than {MAX_TEMPLATE_BYTES} bytes")
                try:
                    return where, data.decode("utf-8")
                except UnicodeDecodeError:
                    raise TemplateProblem(f"{where}: not UTF-8 text") from None
        builtin = BUILTIN_DIR / language / f"{event}.txt"
        if not builtin.is_file():
            raise TemplateProblem(f"no template for {event} in language {language}")
        return f"built-in {language}/{event}", builtin.read_text(encoding="utf-8")

    def compiled(self, language: str, event: str) -> tuple[str, Template]:
        cached = self._compiled.get((language, event))
        if cached is None:
            where, text = self.source(language, event)
            try:
                cached = (where, self._env.from_string(text))
            except TemplateError as problem:
                line = getattr(problem, "lineno", None)
                at = f"{where}:{line}" if line else where
                raise TemplateProblem(f"{at}: {_one_line(problem)}") from None
            self._compiled[(language, event)] = cached
        return cached

    def render_subject(self, language: str, event: str, context: Mapping[str, str]) -> str:
        """The e-mail subject (`<event>.subject.txt`): one line, whitespace folded (a
        newline in a header would start another header)."""
        text = " ".join(self.render(language, event + SUBJECT, context).split())
        if len(text) > MAX_SUBJECT_CHARS:
            raise TemplateProblem(f"{event}{SUBJECT}: longer than {MAX_SUBJECT_CHARS} characters")
        return text

    def render(self, language: str, event: str, context: Mapping[str, str]) -> str:
        where, template = self.compiled(language, event)
        try:
            text = template.render(dict(context)).strip()
        except (TemplateError, ArithmeticError, TypeError, ValueError) as problem:
            raise TemplateProblem(f"{where}: {_one_line(problem)}") from None
        if not text:
            raise TemplateProblem(f"{where}: renders an empty message")
        if len(text) > MAX_MESSAGE_CHARS:
            raise TemplateProblem(f"{where}: message longer than {MAX_MESSAGE_CHARS} characters")
        return text


def _one_line(problem: Exception) -> str:
    return " ".join(str(problem).split())[:300]
