"""The review summary email: the Review sheet's sections as HTML (charts inline, ``cid:``) and
text, to Settings ``management_email``, written to the outbox and sent with ``--email``.

Same machinery as reminders: templates (kind ``review``, de/en, overridable), the header
checks of ``build_message``, the outbox and the SMTP sender.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

from arbook import review_text as txt
from arbook.core.problems import ArbookError
from arbook.core.settings import Settings
from arbook.io.journal import ReviewSnapshot
from arbook.mail import charts
from arbook.mail.message import build_message
from arbook.mail.outbox import write_draft
from arbook.mail.render import TemplateSet
from arbook.mail.smtp import SmtpProblem, send


@dataclass
class Summary:
    message: EmailMessage
    file: Path
    sent: bool


def _cell(value: object, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return txt.number(value, lang)
    if isinstance(value, date):
        return txt.day(value, lang)
    return str(value)


def build_summary(sections, *, as_of: date, period_text: str, settings: Settings, lang: str,
                  buckets: list[tuple[str, Decimal]], history: list[ReviewSnapshot],
                  templates_dir: Path) -> EmailMessage:
    """The summary as a message (To: management_email, From: sender_email)."""
    extra = settings.extra
    to = (extra.get("management_email") or "").strip()
    sender = (extra.get("sender_email") or "").strip()
    if "@" not in parseaddr(to)[1]:
        raise ArbookError("Settings: 'management_email' is empty or not an email address; enter "
                          "the address the review summary goes to.")
    if "@" not in parseaddr(sender)[1]:
        raise ArbookError("Settings: 'sender_email' is empty or not an email address; enter the "
                          "address the review summary comes from.")
    domain = sender.rsplit("@", 1)[1]
    images: list[tuple[str, bytes]] = []
    chart_refs = []
    if charts.available():
        w = txt.WORDS[lang]
        trend = [(s.day, _dec(s.figures.get("dso")), _dec(s.figures.get("overdue_share")))
                 for s in history]
        for name, title, png in (
                ("ageing", w["buckets"], charts.ageing_png(buckets, w["buckets"])),
                ("trend", f"{w['dso']} / {w['overdue_share']}",
                 charts.trend_png(trend, "DSO / %", (w["dso"], w["overdue_share"])))):
            cid = f"<{name}.{uuid.uuid4().hex[:16]}@{domain}>"
            images.append((cid, png))
            chart_refs.append({"cid": cid[1:-1], "title": title})
    context = {
        "company": {"name": settings.company_name or "", "address":
                    extra.get("company_address", "")},
        "customer": {"id": "review"},
        "as_of": as_of, "period": period_text, "charts": chart_refs,
        "sections": [_section(s, lang) for s in sections],
    }
    rendered = TemplateSet(lang, templates_dir).render("review", context)
    name = settings.company_name or ""
    message = build_message(rendered, sender=(name, sender) if name else sender,
                            reply_to=None, to=[to], date=datetime.now().astimezone(),
                            message_id=make_msgid("arbook-review", domain=domain))
    html = message.get_payload()[1]
    for cid, png in images:
        html.add_related(png, "image", "png", cid=cid, disposition="inline")
    return message


def _section(section, lang: str) -> dict:
    """A section for the templates: cells as text; ``lines`` for the text part, each row as
    'header: value | header: value' (or 'label: value' for rows without a header)."""
    rows = [[_cell(v, lang) for v in row] for row in section.rows]
    header = [str(h) for h in section.header]
    lines = []
    for row in rows:
        if header:
            pairs = [f"{h}: {v}" if h else v for h, v in zip(header, row, strict=False) if v]
            lines.append(" | ".join(pairs))
        else:
            lines.append(": ".join(v for v in row if v))
    return {"key": section.key, "title": section.title, "header": header, "rows": rows,
            "lines": lines}


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def deliver(message: EmailMessage, outbox: Path, as_of: date, send_it: bool,
            smtp_config=None, environ: Mapping[str, str] | None = None) -> Summary:
    """Send (with ``send_it``) and keep a copy in the outbox; an unsent copy is a draft."""
    name = f"review-{as_of.isoformat()}"
    if not send_it:
        return Summary(message, write_draft(message, outbox, as_of, name), False)
    try:
        (outcome,) = send(smtp_config, [message], env=environ)
        error = None if outcome.ok else outcome.error
    except SmtpProblem as exc:  # the server could not be reached or refused the login
        error = str(exc)
    if error is not None:
        file = write_draft(message, outbox, as_of, name)
        raise ArbookError(f"the review summary was not sent: {error}. It is in {file} as a "
                          "draft; the workbook was written.")
    message["X-Unsent"] = "0"
    return Summary(message, write_draft(message, outbox, as_of, name), True)
