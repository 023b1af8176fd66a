"""The service checklist as data: ten process steps with concrete items, and the short list.

arbook's own wording (German and English). Items whose ``check`` names an automatic check are
verified from the workbook's data by ``arbook review`` (see ``core.checklist_checks``); the
others are for people to tick. Item ids are stable: the checklist sheets are matched by them,
so users may sort, reword and add rows without losing arbook's evidence column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: str
    de: str
    en: str
    check: str | None = None  # the automatic check that can verify this item

    def text(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


@dataclass(frozen=True)
class Step:
    number: int
    de: str
    en: str
    items: tuple[Item, ...]

    def title(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


I = Item  # noqa: E741 - short alias keeps the table below readable

STEPS: tuple[Step, ...] = (
    Step(1, "Kundenkommunikation", "Customer communication", (
        I("1.1", "Für jeden Kunden ist eine E-Mail-Adresse für Rechnungsfragen hinterlegt",
          "Every customer has an email address for invoice questions", "customers_complete"),
        I("1.2", "Anfragen zu Rechnungen werden innerhalb von zwei Arbeitstagen beantwortet",
          "Invoice questions are answered within two working days"),
        I("1.3", "Jeder Kunde hat einen festen Ansprechpartner bei uns",
          "Each customer has a named contact person on our side"),
        I("1.4", "Jeder Anruf, jede Zusage und jede Reklamation steht im Kontaktprotokoll",
          "Every call, promise and complaint is logged on the Contacts sheet"),
        I("1.5", "Kunden in der letzten Mahnstufe wurden persönlich kontaktiert",
          "Customers at the final reminder stage were contacted in person", "contact_final"),
    )),
    Step(2, "Klare Zahlungsbedingungen und Rechnungen", "Clear payment terms and invoices", (
        I("2.1", "Jeder Kunde hat ein vereinbartes Zahlungsziel",
          "Every customer has agreed payment terms", "customers_complete"),
        I("2.2", "Rechnungen nennen Fälligkeitsdatum, Bankverbindung und Verwendungszweck",
          "Invoices state the due date, bank details and the reference to quote"),
        I("2.3", "Skonto-Regeln sind schriftlich festgelegt und auf der Rechnung erklärt",
          "Early-payment discount rules are written down and explained on the invoice"),
        I("2.4", "Rechnungen an Verbraucher tragen den Hinweis nach § 286 Abs. 3 BGB",
          "Invoices to consumers carry the default notice of § 286 (3) BGB"),
        I("2.5", "Rechnungen gehen spätestens zwei Tage nach Lieferung hinaus",
          "Invoices go out no later than two days after delivery"),
    )),
    Step(3, "Reklamationen klären, bis zum gerichtlichen Mahnverfahren",
         "Resolving disputes, up to the court dunning procedure", (
             I("3.1", "Strittige Posten sind im Ledger markiert und mit Grund versehen",
               "Disputed items are marked in the ledger with their reason"),
             I("3.2", "Keine Reklamation bleibt länger als die Frist ohne Eskalation",
               "No dispute stays open beyond the time limit without escalation",
               "disputes_escalated"),
             I("3.3", "Für Eskalationen ist festgelegt, wer entscheidet (Vertrieb, "
               "Geschäftsführung)", "It is settled who decides on escalations (sales, "
               "management)"),
             I("3.4", "Mahnbescheid-Kandidaten werden monatlich geprüft (Online-Mahnantrag)",
               "Court dunning candidates are reviewed monthly (online Mahnantrag)"),
             I("3.5", "Verjährungsfristen werden zum Jahresende überwacht",
               "Limitation periods are watched before each year end"),
         )),
    Step(4, "Regelmäßige Rückmeldung und Überprüfung", "Regular feedback and review", (
        I("4.1", "Die Review-Übersicht wird jede Woche erstellt",
          "The review summary is produced every week", "review_weekly"),
        I("4.2", "Gebrochene Zahlungszusagen werden in der Woche nachverfolgt",
          "Broken promises to pay are followed up within the week"),
        I("4.3", "Kunden werden einmal im Jahr nach ihrer Erfahrung mit der Rechnungsstellung "
          "gefragt", "Customers are asked once a year about their billing experience"),
        I("4.4", "Die Ergebnisse der Kundenbefragung werden im Team besprochen",
          "The results of the customer survey are discussed in the team"),
    )),
    Step(5, "Schulung und Bewusstsein der Mitarbeitenden", "Staff training and awareness", (
        I("5.1", "Neue Mitarbeitende lernen Mahnprozess und Tonalität in der ersten Woche",
          "New staff learn the reminder process and tone in their first week"),
        I("5.2", "Einmal im Jahr Schulung zu Verzugsrecht (§§ 286, 288 BGB) und Datenschutz",
          "Yearly training on default law (§§ 286, 288 BGB) and data protection"),
        I("5.3", "Gesprächsleitfaden für schwierige Zahlungsgespräche liegt vor",
          "A guide for difficult payment conversations is available"),
        I("5.4", "Vertretungen sind geregelt, auch in der Urlaubszeit",
          "Deputies are arranged, including during holidays"),
    )),
    Step(6, "Technik und Werkzeuge", "Technology and tools", (
        I("6.1", "Offene Posten werden täglich aus dem ERP aktualisiert",
          "Open items are refreshed from the ERP every day"),
        I("6.2", "Mahnungen gingen in den letzten 30 Tagen wie im Mahnplan vorgesehen hinaus",
          "Reminders went out as the dunning policy says in the last 30 days",
          "reminders_on_policy"),
        I("6.3", "Das Journal (.arbook.db) wird mit dem Arbeitsbuch gesichert",
          "The journal (.arbook.db) is backed up with the workbook"),
        I("6.4", "Zahlungseingänge werden mindestens wöchentlich zugeordnet",
          "Incoming payments are matched at least weekly"),
    )),
    Step(7, "Customer Journey", "Customer journey mapping", (
        I("7.1", "Für die zehn größten Schuldner ist die Customer Journey angesehen worden",
          "The customer journey of the ten largest debtors has been looked at"),
        I("7.2", "Lange Pausen zwischen Fälligkeit und erster Erinnerung sind erklärt",
          "Long gaps between due date and first reminder are explained"),
        I("7.3", "Wiederkehrende Reibungspunkte sind notiert und einem Verantwortlichen "
          "zugeordnet", "Recurring friction points are noted and given an owner"),
        I("7.4", "Kunden mit wiederholten Reklamationen werden mit dem Vertrieb besprochen",
          "Customers with repeated disputes are discussed with sales"),
    )),
    Step(8, "Kennzahlen", "Metrics and KPIs", (
        I("8.1", "Zielwerte für DSO, CEI und Überfälligkeitsquote sind in den Einstellungen "
          "gesetzt", "Targets for DSO, CEI and overdue share are set in Settings",
          "kpi_targets"),
        I("8.2", "Die Kennzahlen haben eine Historie von mindestens vier Wochen",
          "The KPIs have a history of at least four weeks", "kpi_history"),
        I("8.3", "Abweichungen vom Ziel werden mit Ursache und Maßnahme festgehalten",
          "Misses against target are recorded with cause and action"),
        I("8.4", "Zahlungszusagen: eingehaltene und gebrochene werden gezählt",
          "Promises to pay: kept and broken ones are counted"),
    )),
    Step(9, "Ständige Verbesserung", "Continuous improvement", (
        I("9.1", "Einmal im Quartal wird eine Verbesserung ausgewählt und umgesetzt",
          "Once a quarter one improvement is chosen and carried out"),
        I("9.2", "Mahntexte werden jährlich auf Verständlichkeit und Ton geprüft",
          "Reminder texts are checked yearly for clarity and tone"),
        I("9.3", "Die Wirkung jeder Änderung wird an den Kennzahlen gemessen",
          "The effect of each change is measured against the KPIs"),
        I("9.4", "Die Checkliste wird jedes Quartal überprüft",
          "This checklist is reviewed every quarter"),
    )),
    Step(10, "Verantwortung der Führung", "Leadership accountability", (
        I("10.1", "Die Geschäftsführung erhält die Review-Übersicht",
          "Management receives the review summary", "management_address"),
        I("10.2", "Für jeden Prozessschritt ist eine verantwortliche Person benannt",
          "Every process step has a named owner"),
        I("10.3", "Eskalationen werden innerhalb einer Woche entschieden",
          "Escalations are decided within a week"),
        I("10.4", "Ziele im Forderungsmanagement sind Teil der Teamziele",
          "Receivables targets are part of the team's goals"),
    )),
)

SHORT_LIST: tuple[Item, ...] = (
    I("K1", "Klare Leitlinien: Alle im Team wissen, wie sie Kunden mit offenen Rechnungen "
      "helfen", "Clear guidelines: everyone in the team knows how to help customers with open "
      "invoices"),
    I("K2", "Offene Rechnungen und Bedingungen sind für Kunden klar und leicht zugänglich",
      "Open invoices and terms are clear and easy for customers to find"),
    I("K3", "Zahlungen werden regelmäßig angefordert", "Payment is requested regularly",
      "reminders_on_policy"),
    I("K4", "Offene Rechnungen werden verlässlich und nachvollziehbar bearbeitet",
      "Open invoices are handled reliably and traceably"),
    I("K5", "Zahlungsziele sind gesetzt", "Payment targets are set", "customers_complete"),
    I("K6", "Zahlungsbedingungen passen zu den Kunden und werden bei Bedarf angepasst",
      "Payment terms fit the customers and are adjusted when needed"),
    I("K7", "Kundenfeedback wird gesammelt", "Customer feedback is collected"),
    I("K8", "Offene Rechnungen sind für alle transparent und nachverfolgbar",
      "Open invoices are transparent and traceable for everyone"),
)

STATUSES = {
    "de": ("offen", "in Arbeit", "erledigt", "entfällt"),
    "en": ("open", "in progress", "done", "n.a."),
}


def status_key(text: object) -> str:
    """``open``, ``in_progress``, ``done`` or ``na`` for a status cell in either language."""
    word = str(text or "").strip().casefold()
    for lang_words in STATUSES.values():
        for key, label in zip(("open", "in_progress", "done", "na"), lang_words, strict=True):
            if word == label.casefold():
                return key
    return "open"


def all_items() -> list[tuple[Step | None, Item]]:
    """Every item with its step (None for the short list)."""
    return [(s, i) for s in STEPS for i in s.items] + [(None, i) for i in SHORT_LIST]
