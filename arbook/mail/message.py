"""Build RFC 5322 messages: multipart/alternative (text, then HTML), UTF-8, checked headers.

Names, addresses and the subject come from the workbook and are treated as hostile: a line
break, NUL or other control character in any of them could add headers (Bcc: ...) to a letter,
so it is refused with HeaderInjection naming the field and the customer, and no message is
built. Display names with umlauts are RFC 2047-encoded by the email package on output.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses
from typing import TYPE_CHECKING

from arbook.mail import HeaderInjection

if TYPE_CHECKING:
    from arbook.mail.render import Rendered

Recipient = str | tuple[str, str]  # "Name <a@b.de>" / "a@b.de", or (display name, address)


def printable(text: str) -> str:
    """Text with control characters shown as '?', safe to put into an error message."""
    return "".join("?" if _is_control(ch) else ch for ch in str(text))


def check_header_value(field: str, value: str, customer: str = "") -> None:
    """Refuse line breaks and other control characters in a value bound for a header."""
    bad = next((ch for ch in value if _is_control(ch)), None)
    if bad is not None:
        who = f" for customer {printable(customer)}" if customer else ""
        raise HeaderInjection(f"the {field}{who} contains a line break or control character "
                              f"(U+{ord(bad):04X}); correct it in the workbook. No message was "
                              "built.")


def to_address(field: str, recipient: Recipient, customer: str = "") -> Address:
    """One checked Address from "Name <addr>", "addr" or (name, addr)."""
    if isinstance(recipient, tuple):
        name, addr = recipient
        check_header_value(field, name, customer)
        check_header_value(field, addr, customer)
    else:
        check_header_value(field, recipient, customer)
        parsed = getaddresses([recipient])
        if len(parsed) != 1:
            raise HeaderInjection(_bad_address(field, recipient, customer, "exactly one address"))
        name, addr = parsed[0]
    if addr.count("@") != 1 or any(ch.isspace() for ch in addr):
        raise HeaderInjection(_bad_address(field, addr, customer, "an address like name@firma.de"))
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise HeaderInjection(_bad_address(field, addr, customer, str(exc))) from None


def build_message(rendered: Rendered, *, sender: Recipient, reply_to: Recipient | None,
                  to: Sequence[Recipient], cc: Iterable[Recipient] = (), date: datetime,
                  message_id: str, customer: str = "",
                  attachments: Sequence[tuple[str, bytes, str]] = ()) -> EmailMessage:
    """A letter ready to send or to write as .eml; every header checked first.

    ``attachments`` are (file name, content, MIME type such as "text/csv"); with any, the
    message becomes multipart/mixed: the text/HTML alternative first, then the files."""
    if not to:
        raise HeaderInjection(_bad_address("To", "", customer, "at least one recipient"))
    headers = {
        "From": to_address("From", sender, customer),
        "To": [to_address("To", r, customer) for r in to],
        "Cc": [to_address("Cc", r, customer) for r in cc],
        "Reply-To": to_address("Reply-To", reply_to, customer) if reply_to else None,
    }
    check_header_value("subject", rendered.subject, customer)
    check_header_value("Message-ID", message_id, customer)
    msg = EmailMessage(policy=SMTP)
    for field, value in headers.items():
        if value:
            msg[field] = value
    msg["Subject"] = rendered.subject
    msg["Date"] = date
    msg["Message-ID"] = message_id
    _check_decoded_headers(msg, customer)
    msg.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for file_name, data, mime in attachments:
        check_header_value("attachment name", file_name, customer)
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=file_name,
                           params={"charset": "utf-8"} if maintype == "text" else None)
    return msg


def make_message_id(idempotency_key: str, domain: str) -> str:
    """The same key gives the same Message-ID, so a resend after a crash is recognisable."""
    check_header_value("Message-ID domain", domain)
    if not domain or any(ch in domain for ch in "<>@ \t\"\\,;:[]()"):
        raise HeaderInjection(f"'{domain}' is not a mail domain for the Message-ID; use the "
                              "part after @ of the sender address")
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<arbook.{digest}@{domain}>"


def _check_decoded_headers(msg: EmailMessage, customer: str) -> None:
    """Check each header as it will be written, after RFC 2047 encoded words are decoded.

    The email package decodes an encoded word such as ``=?utf-8?q?x=0D=0ABcc:_a@b?=`` in a
    value it is given and writes the result back out raw (Python 3.11): an encoded line break in
    a customer name or subject would become a real header line. Checking the raw text is not
    enough; this checks what the generator will write.
    """
    for field, value in msg.items():
        check_header_value(field, _decoded(str(value)), customer)
        folded = msg.policy.fold(field, value).removesuffix("\r\n")
        if _NEW_LINE.search(folded):  # defence in depth: a line that is not a continuation
            check_header_value(field, "\n", customer)


_NEW_LINE = re.compile(r"\r\n(?![ \t])|\r(?!\n)|(?<!\r)\n")


def _decoded(value: str) -> str:
    """``value`` with its RFC 2047 encoded words decoded, as a mail reader will show it."""
    try:
        parts = decode_header(value)
    except (HeaderParseError, ValueError):
        return value  # not decodable: the generator writes it as it stands
    out = []
    for data, charset in parts:
        if isinstance(data, bytes):
            try:
                data = data.decode(charset or "ascii", errors="replace")
            except LookupError:  # an unknown charset name
                data = data.decode("latin-1")
        out.append(data)
    return "".join(out)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")  # includes CR, LF, NUL, U+2028


def _bad_address(field: str, value: str, customer: str, need: str) -> str:
    who = f" for customer {printable(customer)}" if customer else ""
    return f"the {field} address '{value}'{who} is not valid: need {need}. No message was built."
