"""Render reminder letters from Jinja2 templates: subject, text and HTML per kind and language.

Templates are untrusted (users put their own next to the workbook), so they run in Jinja's
sandbox with ``StrictUndefined``: a misspelt variable is an error naming the file and line, not
an empty gap in a letter to a customer. HTML is autoescaped in ``*.html.j2`` only; text parts
are plain text and stay unescaped.

Lookup order for ``KIND.part.j2`` (and for the partials a kind includes, ``_layout`` etc.):
``override_dir/<lang>/`` first, then the defaults shipped as ``arbook.mailtemplates/<lang>/``
(the repository's ``mailtemplates/`` folder).

The context the reminder job passes (also documented for users in mailtemplates/README.md)::

    company:  {name, address, email, phone, iban, bic, bank}        # strings, may be ""
    customer: {id, name, address, email, business: bool}
    stage:    {key, number (1..4), name, tone, deadline: date}        # absent for statement/thanks
    items:    [{invoice_no, invoice_date: date|None, due_date: date|None, currency,
                open: Decimal, days_overdue: int, stage_name, interest: Decimal,
                flat_fee: Decimal}]
    totals:   [{currency, open: Decimal, interest: Decimal, fees: Decimal, total: Decimal}]
    fees:     [{label, amount: Decimal, currency}]                     # stage fee, flat fees
    interest_note: str   # e.g. "Verzugszinsen nach § 288 BGB: ..."; "" if none
    as_of: date
    reference: str       # what the customer should quote on payment
    more:     {count, attachment, totals: [{currency, count, open, interest}]}
              # only when the text lists fewer items than the reminder has (the rest are in
              # the attachment); ``more is defined`` tests for it

The text and HTML templates also get ``subject`` (the rendered subject line).

Filters: ``money(amount, currency)`` and ``date`` per locale with Babel (de: "1.234,56 €",
"26.11.2026"; en: "€1,234.56", "26 Nov 2026" -- British day-month-year with the month as a
word, unambiguous to readers on both sides of the Atlantic), ``iban`` (groups of four),
``number`` (a count with the locale's grouping: "2.275" / "2,275").
"""

from __future__ import annotations

import re
import shutil
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_precision
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from arbook.core.problems import ArbookError
from arbook.mail import TemplateProblem
from arbook.mail.guard import RENDER_SECONDS, render_guarded
from arbook.mail.message import check_header_value

LOCALES = {"de": "de_DE", "en": "en_GB"}
KINDS = ("reminder", "dunning1", "dunning2", "final", "statement", "thanks")
REPORT_KINDS = ("review",)  # internal reports (to management), not letters to customers
PARTS = ("subject", "txt", "html")


MAX_VALUE_CHARS = 1_000_000  # a letter is kilobytes; more is a template bug, not a letter


class _LetterSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, also refusing the memory bombs it lets through: ``'x' * 10**10`` or
    ``10 ** 10**8`` in a user's template would otherwise take the machine's memory or minutes."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 1000:
            raise SecurityError(f"{left!r} ** {right!r} is too large to compute")
        if operator == "*" and isinstance(left, int | str | list | tuple) and \
                isinstance(right, int | str | list | tuple):
            sizes = [len(v) if not isinstance(v, int) else 1 for v in (left, right)]
            counts = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
            if any(not isinstance(v, int) for v in (left, right)) and counts and \
                    max(sizes) * abs(counts[0]) > MAX_VALUE_CHARS:
                raise SecurityError("a repeated text or list would exceed "
                                          f"{MAX_VALUE_CHARS:,} items")
        return super().call_binop(context, operator, left, right)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def default_dir() -> Path:
    """The packaged default templates (one folder per language)."""
    return Path(str(files("arbook.mailtemplates")))


class MoneyFormat:
    """Babel's currency format for one locale and currency, applied without Babel's per-call
    cost (about 0.1 ms: a statement of thousands of items spent seconds there). Amounts with
    more decimals than the currency has, or currencies without two decimals, go to Babel.
    The result is Babel's, character for character (tested)."""

    SAMPLE = Decimal("1234567.89")

    def __init__(self, currency: str, locale: Locale):
        self.currency, self.locale = currency, locale
        symbols = locale.number_symbols.get("latn", locale.number_symbols)
        self.decimal, self.group = symbols["decimal"], symbols["group"]
        number = f"{self.SAMPLE:,.2f}".translate({ord(","): self.group, ord("."): self.decimal})
        positive = format_currency(self.SAMPLE, currency, locale=locale)
        negative = format_currency(-self.SAMPLE, currency, locale=locale)
        self.usable = (get_currency_precision(currency) == 2 and positive.count(number) == 1
                       and negative.count(number) == 1)
        self.pos = positive.split(number) if self.usable else None
        self.neg = negative.split(number) if self.usable else None

    def format(self, amount: Decimal | int) -> str:
        value = Decimal(amount)
        if not self.usable or value.as_tuple().exponent < -2 or not value.is_finite():
            return format_currency(amount, self.currency, locale=self.locale)
        digits = f"{abs(value):,.2f}".translate({ord(","): self.group, ord("."): self.decimal})
        before, after = self.neg if value < 0 else self.pos
        return f"{before}{digits}{after}"


class TemplateSet:
    """The templates of one language: the user's overrides first, then the defaults."""

    def __init__(self, lang: str, override_dir: Path | None = None, guarded: bool = True,
                 time_limit: float = RENDER_SECONDS):
        if lang not in LOCALES:
            raise ArbookError(f"no templates for language '{lang}'; use one of "
                              f"{', '.join(LOCALES)}")
        self.lang = lang
        self.locale = Locale.parse(LOCALES[lang])  # parsed once: Babel re-parses a string per call
        self._money_cache: dict[tuple[Decimal | int, str], str] = {}
        self._money_formats: dict[str, MoneyFormat] = {}
        self._date_cache: dict[date, str] = {}
        self.override_dir = override_dir
        loaders: list[BaseLoader] = []
        own = override_dir is not None and (Path(override_dir) / lang).is_dir()
        if own:
            loaders.append(FileSystemLoader(Path(override_dir) / lang))
        # the user's own templates run in a worker with a time limit (see mail/guard.py)
        self.guarded = guarded and own and any((Path(override_dir) / lang).glob("*.j2"))
        self.time_limit = time_limit
        loaders.append(FileSystemLoader(default_dir() / lang))
        self.env = _LetterSandbox(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(money=self.money, date=self.date, iban=format_iban,
                                number=self.number)

    def money(self, amount: Decimal | int, currency: str) -> str:
        if isinstance(amount, float) or not isinstance(amount, Decimal | int):
            raise TypeError(f"money needs a Decimal amount, got {type(amount).__name__}")
        key = (amount, currency)
        if key not in self._money_cache:  # a long statement repeats amounts and dates
            self._money_cache[key] = self._money_format(currency).format(amount)
        return self._money_cache[key]

    def _money_format(self, currency: str) -> MoneyFormat:
        if currency not in self._money_formats:
            self._money_formats[currency] = MoneyFormat(currency, self.locale)
        return self._money_formats[currency]

    def number(self, value: int | Decimal) -> str:
        """A count or amount with the locale's grouping: 2.275 (de), 2,275 (en)."""
        if isinstance(value, float) or not isinstance(value, Decimal | int):
            raise TypeError(f"number needs an int or Decimal, got {type(value).__name__}")
        return format_decimal(value, locale=self.locale)

    def date(self, value: date | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.date()
        if value not in self._date_cache:
            self._date_cache[value] = format_date(value, "medium", locale=self.locale)
        return self._date_cache[value]

    def render(self, kind: str, context: dict[str, Any]) -> Rendered:
        """Subject, text and HTML of one letter; any template error raises TemplateProblem."""
        if kind not in KINDS + REPORT_KINDS:
            raise ArbookError(f"unknown letter kind '{kind}'; use one of "
                              f"{', '.join(KINDS + REPORT_KINDS)}")
        if self.guarded:
            return render_guarded(self.lang, Path(self.override_dir), kind, context,
                                  self.time_limit)
        customer = _customer_label(context)
        subject = self._render(f"{kind}.subject.j2", context).strip()
        check_header_value("subject", subject, customer)
        subject = " ".join(subject.split())
        if not subject:
            raise TemplateProblem(f"{self._where(f'{kind}.subject.j2')}: the subject is empty")
        body = {**context, "subject": subject}
        text = _tidy_text(self._render(f"{kind}.txt.j2", body))
        html = self._render(f"{kind}.html.j2", body)
        return Rendered(subject, text, html)

    def _render(self, name: str, context: dict[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except ArbookError:
            raise
        except TemplateNotFound as exc:
            searched = " and ".join(str(p) for p in self._search_dirs())
            place = _template_frame(exc)  # the include that asked for it, if any
            raise TemplateProblem(f"{place + ': ' if place else ''}template '{exc.name}' not "
                                  f"found (looked in {searched})") from None
        except TemplateSyntaxError as exc:
            place = f"{exc.filename or self._where(name)}, line {exc.lineno}"
            raise TemplateProblem(f"{place}: {exc.message}; fix the template "
                                  "(or delete your copy to use the default)") from None
        except Exception as exc:  # untrusted templates: any failure is a template problem
            place = _template_frame(exc) or self._where(name)
            raise TemplateProblem(f"{place}: {exc}; fix the template or the data it "
                                  "uses") from None

    def _search_dirs(self) -> list[Path]:
        dirs = [Path(self.override_dir) / self.lang] if self.override_dir is not None else []
        return [*dirs, default_dir() / self.lang]

    def _where(self, name: str) -> str:
        for folder in self._search_dirs():
            if (folder / name).is_file():
                return str(folder / name)
        return name


def render(kind: str, lang: str, context: dict[str, Any],
           override_dir: Path | None = None) -> Rendered:
    """One letter; see TemplateSet.render."""
    return TemplateSet(lang, override_dir).render(kind, context)


def format_iban(value: str) -> str:
    """IBAN in groups of four, as printed on letters: DE89 3704 0044 0532 0130 00."""
    compact = "".join(str(value).split()).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def export_templates(dest: Path, langs: tuple[str, ...] = tuple(LOCALES)) -> list[Path]:
    """Copy the default templates to dest/<lang>/ (plus the README); never overwrites."""
    source = default_dir()
    pairs = [(source / "README.md", Path(dest) / "README.md")]
    for lang in langs:
        pairs += [(p, Path(dest) / lang / p.name) for p in sorted((source / lang).glob("*.j2"))]
    existing = [str(target) for _, target in pairs if target.exists()]
    if existing:
        raise ArbookError(f"{len(existing)} template file(s) exist already, e.g. {existing[0]}; "
                          "nothing was copied. Export to an empty folder or move them away.")
    for src, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return [target for _, target in pairs]


def _customer_label(context: dict[str, Any]) -> str:
    customer = context.get("customer") or {}
    return str(customer.get("id") or customer.get("name") or "?")


def _template_frame(exc: BaseException) -> str | None:
    """File and line of the innermost template frame in a render error (Jinja maps them)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return None
    return f"{frames[-1].filename}, line {frames[-1].lineno}"


def _tidy_text(text: str) -> str:
    """No trailing blanks, at most one empty line in a row: templates need not count newlines."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
