"""Settings the clerk edits on the Settings sheet (key / value), with defaults and checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from arbook.core.problems import Problem, Severity

DEFAULT_BUCKET_EDGES = (30, 60, 90)
DEFAULT_LETTER_MAX_ITEMS = 25


@dataclass(frozen=True)
class Settings:
    language: str = "de"
    bucket_edges: tuple[int, ...] = DEFAULT_BUCKET_EDGES
    company_name: str = ""
    home_currency: str = "EUR"
    escalation_after_days: int = 14
    interest_variant: str = "de"
    extra: dict[str, str] = field(default_factory=dict)


# key -> (default text, German description, English description)
SETTING_ROWS: dict[str, tuple[str, str, str]] = {
    "language": ("de", "Sprache des Arbeitsbuchs (de oder en)", "Workbook language (de or en)"),
    "bucket_edges": (
        "30, 60, 90",
        "Obergrenzen der Altersklassen in Tagen überfällig, aufsteigend",
        "Upper limits of the ageing buckets in days overdue, ascending",
    ),
    "company_name": ("", "Ihr Firmenname (für Mahnungen)", "Your company name (for reminders)"),
    "home_currency": ("EUR", "Hauswährung", "Home currency"),
    # What the reminder job needs: sender, bank details, interest variant, delivery.
    "sender_email": ("", "Absenderadresse der Mahnungen", "Sender address of reminders"),
    "sender_name": ("", "Absendername", "Sender name"),
    "reply_to": ("", "Antwortadresse (Reply-To), leer = Absender",
                 "Reply-to address, empty = sender"),
    "company_address": ("", "Ihre Anschrift (Briefkopf)", "Your postal address (letterhead)"),
    "company_phone": ("", "Telefon für Rückfragen", "Phone number for questions"),
    "iban": ("", "IBAN für Zahlungen", "IBAN for payments"),
    "bic": ("", "BIC", "BIC"),
    "bank_name": ("", "Name der Bank", "Bank name"),
    "management_email": ("", "E-Mail der Geschäftsführung (Eskalationsliste)",
                         "Management email (escalation list)"),
    "interest_variant": (
        "de",
        "Verzugszinsen: de = §288 BGB (Basiszinssatz + 5/9 Punkte), eu = EZB-Satz + 8 Punkte",
        "Default interest: de = §288 BGB (base rate + 5/9 points), eu = ECB rate + 8 points",
    ),
    "smtp_host": ("", "SMTP-Server zum Versenden (leer = nur Entwürfe)",
                  "SMTP server for sending (empty = drafts only)"),
    "smtp_port": ("587", "SMTP-Port (587 für starttls, 465 für ssl)",
                  "SMTP port (587 for starttls, 465 for ssl)"),
    "smtp_security": ("starttls", "Verschlüsselung: starttls oder ssl",
                      "Encryption: starttls or ssl"),
    "smtp_user": (
        "",
        "SMTP-Benutzer. Das Passwort steht nie hier: es kommt aus der Umgebungsvariable "
        "ARBOOK_SMTP_PASSWORD oder dem Schlüsselbund des Betriebssystems",
        "SMTP user. The password is never stored here: it comes from the environment variable "
        "ARBOOK_SMTP_PASSWORD or the OS keyring",
    ),
    "outbox_folder": ("outbox", "Ordner für E-Mail-Entwürfe (.eml), neben dem Arbeitsbuch",
                      "Folder for email drafts (.eml), next to the workbook"),
    "nightly_send": ("no", "Nachtlauf versendet Mahnungen per SMTP (yes/no; no = nur Entwürfe)",
                     "The nightly run sends reminders by SMTP (yes/no; no = drafts only)"),
    "review_weekday": ("monday", "Wochentag des Reviews im Nachtlauf (monday ... sunday)",
                       "Weekday on which the nightly run writes the review (monday ... sunday)"),
    "escalation_after_days": (
        "14",
        "Tage nach Ablauf der Frist der letzten Mahnung bis zur Eskalationsliste "
        "(gerichtliches Mahnverfahren / Inkasso)",
        "Days after the final reminder's deadline until the escalation list "
        "(court dunning / collection)",
    ),
    "letter_max_items": (
        str(DEFAULT_LETTER_MAX_ITEMS),
        "Höchstens so viele Rechnungen stehen im Text einer Mahnung; bei mehr liegt die "
        "vollständige Liste als CSV-Datei bei (0 oder leer = 25)",
        "At most this many invoices are listed in a reminder's text; with more, the full list "
        "is attached as a CSV file (0 or empty = 25)",
    ),
    # What the review job needs: when a dispute needs escalating, and the targets the KPIs
    # are measured against (empty = no target set; the checklist notices).
    "dispute_escalation_days": (
        "30",
        "Tage, nach denen eine offene Reklamation ohne 'Nächster Schritt' auf die "
        "Eskalationsliste kommt",
        "Days after which an open dispute without a 'Next action' goes onto the escalation list",
    ),
    "target_dso": ("", "Zielwert DSO in Tagen (z. B. 35)", "Target DSO in days (e.g. 35)"),
    "target_cei": ("", "Zielwert CEI in % (z. B. 85)", "Target CEI in % (e.g. 85)"),
    "target_overdue_share": ("", "Zielwert Anteil überfällig in % (z. B. 20)",
                             "Target overdue share in % (e.g. 20)"),
}
INTEREST_VARIANTS = ("de", "eu")
SMTP_SECURITY = ("starttls", "ssl", "none")  # none: only to this machine (tests)


def letter_max_items(settings: Settings) -> int:
    """How many invoices a letter's text lists (Settings ``letter_max_items``; 0 = default)."""
    text = (settings.extra.get("letter_max_items") or "").strip()
    try:
        return int(float(text)) or DEFAULT_LETTER_MAX_ITEMS
    except (ValueError, OverflowError):  # Settings built by hand, not by settings_from_pairs
        return DEFAULT_LETTER_MAX_ITEMS


def parse_bucket_edges(text: str) -> tuple[int, ...] | None:
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        edges = tuple(int(float(p)) for p in parts)
    except (ValueError, OverflowError):  # text, or 'inf'
        return None
    if not edges or any(e <= 0 for e in edges) or list(edges) != sorted(set(edges)):
        return None
    return edges


def settings_from_pairs(
    pairs: dict[str, tuple[str, int]], sheet: str = "Settings"
) -> tuple[Settings, list[Problem]]:
    """Build Settings from ``{key: (value text, row)}``; bad values fall back to the default."""
    problems: list[Problem] = []
    values = {key: text for key, (text, _row) in pairs.items()}
    edges = DEFAULT_BUCKET_EDGES
    if "bucket_edges" in pairs:
        text, row = pairs["bucket_edges"]
        parsed = parse_bucket_edges(text)
        if parsed is None:
            problems.append(
                Problem(
                    f"bucket_edges '{text}' must be ascending whole days such as '30, 60, 90'; "
                    "using 30, 60, 90",
                    sheet=sheet,
                    row=row,
                    column="Value",
                    severity=Severity.WARNING,
                )
            )
        else:
            edges = parsed
    def check(key: str, ok, expected: str) -> str:
        """The value of ``key`` if ``ok(value)``, else a warning and the default."""
        default = SETTING_ROWS[key][0]
        if key not in pairs or not pairs[key][0].strip():
            return default
        text, row = pairs[key]
        value = text.strip().lower()
        if ok(value):
            return value
        problems.append(Problem(f"{key} '{text}' must be {expected}; using '{default}'",
                                sheet=sheet, row=row, column="Value", severity=Severity.WARNING))
        return default

    def whole(value: str) -> bool:
        digits = value.removesuffix(".0")  # isdigit() alone accepts '¹' and other digits
        return digits.isascii() and digits.isdigit() and len(digits) <= 9

    escalation = check("escalation_after_days", whole, "a whole number of days")
    variant = check("interest_variant", INTEREST_VARIANTS.__contains__, "de or eu")
    for key, ok, expected in (("smtp_port", whole, "a port number such as 587"),
                              ("smtp_security", SMTP_SECURITY.__contains__, "starttls or ssl"),
                              ("letter_max_items", whole, "a whole number of invoices")):
        values[key] = check(key, ok, expected)
    language = (values.get("language") or "de").strip().lower()
    if language not in ("de", "en"):
        language = "de"
    known = {"language", "bucket_edges", "company_name", "home_currency",
             "escalation_after_days", "interest_variant"}
    return (
        Settings(
            language=language,
            bucket_edges=edges,
            company_name=values.get("company_name", "") or "",
            home_currency=(values.get("home_currency") or "EUR").strip().upper(),
            escalation_after_days=int(float(escalation)),
            interest_variant=variant,
            extra={k: v for k, v in values.items() if k not in known},
        ),
        problems,
    )
