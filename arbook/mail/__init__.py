"""Reminder letters as email: templates (Jinja2), RFC 5322 messages, .eml drafts and SMTP.

Pure rendering, message building, writing and sending; which reminder is due is decided in core.
"""

from arbook.core.problems import ArbookError


class TemplateProblem(ArbookError):
    """A template could not be loaded or rendered; the message names the file and line."""


class HeaderInjection(ArbookError):
    """A header value (name, address, subject) carries a line break or control character."""
