"""Reminder letters: templates, messages and .eml drafts (arbook.mail)."""

from __future__ import annotations

import email
import os
import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.numbers import format_currency
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from arbook.cli import main
from arbook.mail import HeaderInjection, TemplateProblem
from arbook.mail.message import build_message, make_message_id
from arbook.mail.outbox import message_bytes, safe_name, write_draft
from arbook.mail.render import KINDS, TemplateSet, default_dir, render
from tests.mail_fixtures import AS_OF, letter_context

GOLDEN = Path(__file__).parent / "golden"
SENT = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
NBSP = "\xa0"
FORMATS = {  # what each locale's letter must show for the fixture's amounts and dates
    "de": {"eur": f"1.234,56{NBSP}€", "usd": f"2.500,00{NBSP}$", "deadline": "10.12.2026",
           "due": "01.10.2026", True: f"1.427,40{NBSP}€", False: f"1.347,40{NBSP}€"},
    "en": {"eur": "€1,234.56", "usd": "US$2,500.00", "deadline": "10 Dec 2026",
           "due": "1 Oct 2026", True: "€1,427.40", False: "€1,347.40"},
}
STAGED = [k for k in KINDS if k not in ("statement", "thanks")]


def _context(kind: str, business: bool = True, **kw) -> dict:
    return letter_context(business, with_stage=kind in STAGED, **kw)


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("business", [True, False], ids=["business", "consumer"])
def test_every_kind_renders_the_context_in_the_locale(kind, lang, business):
    ctx = _context(kind, business, name="Jörg Weiß" if not business else "Müller & Söhne GmbH")
    letter = render(kind, lang, ctx)
    fmt = FORMATS[lang]
    assert "\n" not in letter.subject and letter.subject == letter.subject.strip()
    assert "K-10042" in letter.subject
    for part in (letter.text, letter.html):
        for item in ctx["items"]:
            assert item["invoice_no"] in part
        for key in ("eur", "usd", "due", business):  # business: the EUR total with its fees
            assert fmt[key] in part, (key, kind, lang)
        assert "DE89 3704 0044 0532 0130 00" in part  # bank details, IBAN grouped
        assert "K-10042 RE-2026-0815" in part  # the reference to quote
        assert (fmt["deadline"] in part) == (kind in STAGED)
    assert "Jörg Weiß" in letter.text or business
    assert "Müller &amp; Söhne GmbH" in letter.html or not business


@pytest.mark.parametrize("lang, marker", [("de", "288 Abs. 5"), ("en", "288 (5)")])
def test_flat_fee_rule_is_named_for_businesses_only(lang, marker):
    business = render("dunning1", lang, _context("dunning1", True))
    consumer_ctx = _context("dunning1", False)
    for item in consumer_ctx["items"]:  # even if the data wrongly carried one
        item["flat_fee"] = Decimal("40")
    consumer = render("dunning1", lang, consumer_ctx)
    assert marker in business.text and marker in business.html
    assert marker not in consumer.text and marker not in consumer.html


@pytest.mark.parametrize("lang, words", [("de", "gerichtliche Mahnverfahren"),
                                         ("en", "court order")])
def test_final_demand_names_the_next_step_and_the_reminder_does_not(lang, words):
    assert words in render("final", lang, _context("final")).text
    assert words not in render("reminder", lang, _context("reminder")).text


def test_interest_and_fees_are_separate_claims_not_folded_into_the_invoice():
    letter = render("dunning1", "de", _context("dunning1"))
    line = next(x for x in letter.text.splitlines() if x.startswith("RE-2026-0815"))
    assert line.endswith(f"1.234,56{NBSP}€")  # the invoice amount as invoiced
    assert f"Verzugszinsen zu Rechnung RE-2026-0815: 17,94{NBSP}€" in letter.text
    assert f"Mahngebühr 1. Mahnung: 5,00{NBSP}€" in letter.text


def test_html_in_customer_data_is_escaped_in_html_and_kept_as_text():
    ctx = _context("reminder", False, name="<script>alert('x')</script> & Co")
    ctx["interest_note"] = "<b>Zinsen</b>"
    letter = render("reminder", "de", ctx)
    assert "<script>" not in letter.html and "<b>Zinsen" not in letter.html
    assert "&lt;script&gt;" in letter.html and "&lt;b&gt;Zinsen" in letter.html
    assert "<script>alert('x')</script> & Co" in letter.text  # plain text: shown, not run
    msg = _message(letter)
    assert msg.get_body(("plain",)).get_content_type() == "text/plain"


class _TagChecker(HTMLParser):
    """Collects unbalanced tags and anything that would load from outside the message."""

    VOID = {"br", "meta", "img", "hr"}

    def __init__(self):
        super().__init__()
        self.stack, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and not (value or "").startswith("mailto:"):
                self.problems.append(f"external {name}={value}")
        if tag in ("script", "link", "style", "img"):
            self.problems.append(f"<{tag}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_html_is_balanced_and_self_contained(kind, lang):
    checker = _TagChecker()
    checker.feed(render(kind, lang, _context(kind)).html)
    assert checker.problems == [] and checker.stack == []


def test_missing_variable_names_template_and_line():
    ctx = _context("reminder")
    del ctx["reference"]
    with pytest.raises(TemplateProblem) as info:
        render("reminder", "de", ctx)
    text = str(info.value)
    assert "reference" in text and re.search(r"_payment\.txt\.j2, line \d+", text)


def test_override_next_to_the_workbook_is_used(tmp_path):
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "reminder.subject.j2").write_text(
        "Offene Posten {{ customer.id }}\n", encoding="utf-8")
    (tmp_path / "de" / "_contact.txt.j2").write_text("Fragen? {{ company.phone }}\n",
                                                     encoding="utf-8")
    letter = TemplateSet("de", tmp_path).render("reminder", _context("reminder"))
    default = render("reminder", "de", _context("reminder"))
    assert letter.subject == "Offene Posten K-10042"
    assert "Fragen? +49 40 1234567" in letter.text  # a partial overridden inside the default
    assert letter.html.replace(letter.subject, default.subject) == default.html  # the rest
    english = TemplateSet("en", tmp_path).render("reminder", _context("reminder"))
    assert english.subject.startswith("Payment reminder")  # no en/ folder: defaults


@pytest.mark.parametrize("body, line, words", [
    ("{{ subject }}\n\n{% if %}\n", 3, "Expected an expression"),
    ("{{ subject }}\n{{ customer.nmae }}\n", 2, "nmae"),
    ("{{ subject }}\n{{ ''.__class__.__mro__ }}\n", 2, "unsafe"),  # the sandbox holds
])
def test_broken_override_names_file_and_line_and_renders_nothing(tmp_path, body, line, words):
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "thanks.txt.j2"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TemplateProblem) as info:
        render("thanks", "en", _context("thanks"), override_dir=tmp_path)
    assert f"{path}, line {line}" in str(info.value) and words in str(info.value)


def test_missing_template_is_named(tmp_path):
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "thanks.txt.j2").write_text('{% include "_gruss.txt.j2" %}\n')
    with pytest.raises(TemplateProblem) as info:
        render("thanks", "de", _context("thanks"), override_dir=tmp_path)
    assert f"{tmp_path / 'de' / 'thanks.txt.j2'}, line 1" in str(info.value)
    assert "'_gruss.txt.j2' not found" in str(info.value)


def _message(letter, **kw):
    args = {"sender": ("Nordlicht Großhandel GmbH", "forderungen@nordlicht.example"),
            "reply_to": "Buchhaltung Nordlicht <buchhaltung@nordlicht.example>",
            "to": [("Müller & Söhne GmbH", "buchhaltung@mueller-soehne.example")],
            "cc": ["inkasso@nordlicht.example"], "date": SENT,
            "message_id": make_message_id("K-10042|dunning1|RE-2026-0815|2026-11-26",
                                          "nordlicht.example"),
            "customer": "K-10042", **kw}
    return build_message(letter, **args)


def test_message_is_multipart_alternative_utf8_with_encoded_names():
    letter = render("dunning1", "de", _context("dunning1"))
    raw = _message(letter).as_bytes()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii() and b"=?utf-8?" in header_block  # RFC 2047, not raw UTF-8
    back = email.message_from_bytes(raw, policy=policy.default)
    assert back["From"].addresses[0].display_name == "Nordlicht Großhandel GmbH"
    assert back["To"].addresses[0].display_name == "Müller & Söhne GmbH"
    assert back["Subject"] == letter.subject and back["Cc"] == "inkasso@nordlicht.example"
    assert back.get_content_type() == "multipart/alternative"
    parts = list(back.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    bodies = [p.get_content().replace("\r\n", "\n") for p in parts]  # CRLF on the wire
    assert bodies == [letter.text, letter.html]


def test_message_id_is_deterministic_per_key():
    a = make_message_id("K-1|final|2026-11-26", "firma.example")
    assert a == make_message_id("K-1|final|2026-11-26", "firma.example")
    assert a != make_message_id("K-1|final|2026-11-27", "firma.example")
    assert re.fullmatch(r"<[^<>@\s]+@firma\.example>", a)


@pytest.mark.parametrize("field, kw", [
    ("To", {"to": [("Müller\r\nBcc: alle@evil.example", "a@b.example")]}),
    ("To", {"to": ["kunde@b.example\nBcc: alle@evil.example"]}),
    ("Cc", {"cc": [("Inkasso", "x@y.example\x00")]}),
    ("From", {"sender": "Nordlicht\u2028 <f@n.example>"}),
    ("Reply-To", {"reply_to": "r@n.example\r"}),
])
def test_header_injection_is_refused_naming_field_and_customer(field, kw):
    letter = render("reminder", "de", _context("reminder"))
    with pytest.raises(HeaderInjection) as info:
        _message(letter, **kw)
    assert field in str(info.value) and "K-10042" in str(info.value)


def test_newline_reaching_the_subject_is_refused():
    ctx = _context("reminder")
    ctx["customer"]["id"] = "K-1\r\nBcc: alle@evil.example"
    with pytest.raises(HeaderInjection) as info:
        render("reminder", "de", ctx)
    assert "subject for customer K-1??Bcc" in str(info.value)  # named, control chars shown as ?


def test_invalid_addresses_are_refused():
    letter = render("reminder", "de", _context("reminder"))
    for bad in ("kein-at-zeichen", "a@b@c.example", "a@b.example, c@d.example", ""):
        with pytest.raises(HeaderInjection):
            _message(letter, to=[bad])


def _normalised(data: bytes, msg) -> bytes:
    """Date, Message-ID and the MIME boundary vary per run; everything else must not."""
    data = data.replace(msg.get_boundary().encode(), b"BOUNDARY")
    data = re.sub(rb"(?m)^Date: .*\r\n", b"Date: DATE\r\n", data)
    return re.sub(rb"(?m)^Message-ID: .*\r\n", b"Message-ID: <ID>\r\n", data)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_reminder_eml_matches_golden_file(tmp_path, lang):
    msg = _message(render("reminder", lang, _context("reminder")))
    path = write_draft(msg, tmp_path, AS_OF, f"K-10042 reminder {lang}")
    data = _normalised(path.read_bytes(), msg)
    golden = GOLDEN / f"reminder-{lang}.eml"
    if os.environ.get("ARBOOK_UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert golden.exists(), "run with ARBOOK_UPDATE_GOLDEN=1 once to create the golden file"
    assert data == golden.read_bytes(), f"{golden} differs; review and update deliberately"


def test_draft_is_marked_unsent_and_never_overwrites(tmp_path):
    msg = _message(render("reminder", "de", _context("reminder")))
    first = write_draft(msg, tmp_path, AS_OF, "K-10042_reminder")
    second = write_draft(msg, tmp_path, AS_OF, "K-10042_reminder")
    assert first.parent == tmp_path / "2026-11-26" and first != second
    assert first.read_bytes().startswith(b"X-Unsent: 1\r\n")
    assert first.read_bytes() == second.read_bytes()
    back = email.message_from_bytes(first.read_bytes(), policy=policy.default)
    assert back["Message-ID"] == msg["Message-ID"]
    assert {p.name for p in first.parent.iterdir()} == {first.name, second.name}


@pytest.mark.parametrize("hint", ["../../etc/passwd", "CON", "con.txt", "a/b\\c", "LPT1",
                                  "..", "x" * 600, "K-1\r\nBcc", "\x00", "  . ", "C:\\Windows",
                                  "Müller & Söhne: 1. Mahnung?"])
def test_outbox_names_from_hostile_data_stay_inside(tmp_path, hint):
    outbox = tmp_path / "outbox"
    msg = _message(render("reminder", "de", _context("reminder")))
    path = write_draft(msg, outbox, AS_OF, hint)
    assert path.resolve().parent == (outbox / "2026-11-26").resolve()
    stem = path.name[: -len(".eml")]
    assert stem and len(path.name.encode()) <= 130
    assert not re.search(r"[\x00-\x1f/\\:*?\"<>|]", path.name)
    assert stem.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "LPT1", "COM1"}
    assert not stem.endswith((".", " "))


@given(st.text(max_size=400))
def test_safe_name_is_a_plain_file_name_for_any_text(hint):
    name = safe_name(hint)
    assert name and len(name.encode()) <= 120 and name == name.strip(". ")
    assert not re.search(r"[\x00-\x1f\x7f/\\:*?\"<>|]|\.\.", name)
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}


def test_safe_name_keeps_readable_names():
    assert safe_name("K-10042 1. Mahnung") == "K-10042_1._Mahnung"
    assert safe_name("Müller") == "Müller"


def test_templates_export_copies_defaults_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "templates"
    result = CliRunner().invoke(main, ["templates", "export", str(target), "--lang", "de"])
    assert result.exit_code == 0, result.output
    copied = sorted(p.name for p in (target / "de").iterdir())
    assert copied == sorted(p.name for p in (default_dir() / "de").glob("*.j2"))
    assert not (target / "en").exists() and (target / "README.md").exists()
    (target / "de" / "reminder.subject.j2").write_text("mine\n")
    again = CliRunner().invoke(main, ["templates", "export", str(target)])
    assert again.exit_code == 2 and "exist" in again.output
    assert (target / "de" / "reminder.subject.j2").read_text() == "mine\n"
    assert not (target / "en").exists()  # nothing copied at all


def test_templates_export_help_has_an_example():
    result = CliRunner().invoke(main, ["templates", "export", "--help"])
    assert result.exit_code == 0 and "arbook templates export" in result.output


@pytest.mark.parametrize("field, kw", [
    ("To", {"to": [("=?utf-8?q?x=0D=0ABcc:_evil@x.example?=", "a@b.example")]}),
    ("To", {"to": ["=?utf-8?b?eA0KQmNjOiBldmlsQHguZXhhbXBsZQ==?= <a@b.example>"]}),
    ("Cc", {"cc": [("Inkasso =?utf-8?q?=0A?= x", "x@y.example")]}),
    ("From", {"sender": ("=?iso-8859-1?q?N=0D?=", "f@n.example")}),
    ("Reply-To", {"reply_to": ("=?utf-8?q?=E2=80=A8?=", "r@n.example")}),  # U+2028
])
def test_encoded_line_breaks_in_names_are_refused(field, kw):
    """RFC 2047 words are decoded by the email package and written raw: found while hardening,
    '=?utf-8?q?x=0D=0ABcc:_a@b?=' as a customer name put a real Bcc line into the message."""
    letter = render("reminder", "de", _context("reminder"))
    with pytest.raises(HeaderInjection) as info:
        _message(letter, **kw)
    assert field in str(info.value) and "K-10042" in str(info.value)


def test_encoded_line_break_reaching_the_subject_is_refused():
    ctx = _context("reminder")
    ctx["customer"]["id"] = "K-1 =?utf-8?q?x=0D=0ABcc:_evil@x.example?="
    letter = render("reminder", "de", ctx)  # the raw text has no control character
    with pytest.raises(HeaderInjection) as info:
        _message(letter)
    assert "Subject" in str(info.value)


@given(name=st.lists(st.sampled_from(list("=?qQbB_ x:@\r\n\t") + ["=0D", "=0A", "utf-8",
                                                                     "DQo=", "=?utf-8?q?"]),
                     max_size=30).map("".join))
def test_no_display_name_adds_a_header_line(name):
    letter = render("reminder", "de", _context("reminder"))
    try:
        msg = _message(letter, to=[(name, "kunde@b.example")])
    except HeaderInjection:
        return
    block = msg.as_bytes().split(b"\r\n\r\n", 1)[0]
    back = email.message_from_bytes(block + b"\r\n\r\n", policy=policy.default)
    assert sorted(back.keys()) == sorted(msg.keys())
    assert "Bcc" not in back


@pytest.mark.parametrize("body, words", [
    ("{{ ('x' * 10**10) | length }}", "exceed"), ("{{ [0] * 10**9 }}", "exceed"),
    ("{{ 7 ** 100000000 }}", "too large"), ("{{ 10**10 * 'ab' }}", "exceed"),
])
def test_memory_bombs_in_a_template_override_are_refused_quickly(tmp_path, body, words):
    """Jinja's sandbox caps range() but not repetition or powers; a user's template could
    otherwise take gigabytes or minutes. Normal arithmetic still works (last line)."""
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "reminder.txt.j2").write_text(body, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(TemplateProblem, match=words):
        render("reminder", "de", _context("reminder"), override_dir=tmp_path)
    assert time.perf_counter() - start < 2
    (tmp_path / "de" / "reminder.txt.j2").write_text("{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 6 * 7 }}")
    assert render("reminder", "de", _context("reminder"), override_dir=tmp_path).text == \
        "ababab 1024 42\n"


HTML_BITS = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                             "\"><a href='javascript:x'>", "&amp;", "</td></tr></table>",
                             "<!--", "]]>", "{{ 7*7 }}", "{% raw %}", "Müller", " & "])
HOSTILE = st.lists(st.one_of(HTML_BITS, st.text(max_size=8)), max_size=6).map("".join)


@pytest.mark.parametrize("kind", KINDS)
@given(name=HOSTILE, address=HOSTILE, invoice_no=HOSTILE, note=HOSTILE)
@hypothesis_settings(max_examples=15, deadline=None)
def test_any_customer_text_stays_text_in_every_html_letter(kind, name, address, invoice_no,
                                                           note):
    """Whatever the workbook holds in names, addresses, invoice numbers and notes: the HTML part
    keeps its own tags only, shows the text escaped, and Jinja syntax in data is not run."""
    ctx = _context(kind, name=name.replace("\r", " ").replace("\n", " "))
    ctx["customer"]["address"] = address
    ctx["interest_note"] = note
    for item in ctx["items"]:
        item["invoice_no"] = invoice_no or item["invoice_no"]
    try:
        letter = render(kind, "de", ctx)
    except HeaderInjection:
        return  # a control character reached the subject: refused, tested above
    baseline = render(kind, "de", _context(kind, name="N"))
    checker = _TagChecker()
    checker.feed(letter.html)
    reference = _TagChecker()
    reference.feed(baseline.html)
    assert checker.problems == reference.problems
    tags = re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", letter.html)
    assert sorted(set(tags)) == sorted(set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)",
                                                      baseline.html)))
    if "{{ 7*7 }}" in address:  # data is never evaluated as a template
        assert "{{ 7*7 }}" in letter.text


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False,
                   allow_infinity=False),
       st.sampled_from(["EUR", "CHF", "USD", "GBP", "JPY", "PLN"]), st.sampled_from(["de", "en"]))
def test_fast_money_format_is_babels_to_the_character(amount, currency, lang):
    templates = TemplateSet(lang)
    assert templates.money(amount, currency) == format_currency(amount, currency,
                                                               locale=templates.locale)


def test_a_looping_override_is_stopped_after_the_time_limit_and_the_next_letter_works(tmp_path):
    """Two nested loops of 100,000 would run for hours: the worker is ended, the run goes on."""
    own = tmp_path / "templates" / "de"
    own.mkdir(parents=True)
    (own / "reminder.txt.j2").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x\n",
        encoding="utf-8")
    context = _context("reminder")
    looping = TemplateSet("de", tmp_path / "templates", time_limit=1.0)
    started = time.perf_counter()
    with pytest.raises(TemplateProblem, match="took longer than 1 s") as info:
        looping.render("reminder", context)
    assert time.perf_counter() - started < 10
    assert str(own) in str(info.value)
    (own / "reminder.txt.j2").write_text("Guten Tag {{ customer.name }}\n", encoding="utf-8")
    fixed = TemplateSet("de", tmp_path / "templates", time_limit=5.0)
    assert fixed.render("reminder", context).text.startswith("Guten Tag")


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.text(st.sampled_from(list("aä €\r\n\t=.;\"")), max_size=300),
       st.binary(max_size=3000), st.booleans())
def test_draft_bytes_are_the_email_packages_bytes(text, attachment, with_file):
    """The outbox writes a part's body in one piece; the bytes equal ``as_bytes``."""
    plain = render("reminder", "de", letter_context())
    rendered = type(plain)(plain.subject, plain.text + text, plain.html + text)
    files = [("liste.csv", attachment, "text/csv"), ("x.bin", attachment, "application/pdf")]
    msg = build_message(rendered, sender=("Nordlicht", "forderungen@nordlicht.example"),
                        reply_to=None, to=["a@b.example"],
                        date=datetime(2026, 11, 26, tzinfo=UTC), message_id="<x@nordlicht.example>",
                        attachments=files if with_file else ())
    assert message_bytes(msg) == msg.as_bytes(policy=policy.SMTP)
