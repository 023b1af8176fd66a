"""The ribbon as one table: each button's id, labels, icon, VBA callback and Python entry point.

``customUI14.xml`` and the VBA module ``arbook.bas`` are generated from ``BUTTONS``; a test checks
that the committed files equal what this module generates and that every entry point exists.
Adding a button is one row here plus one function in ``arbook.excel.entry``. Rows marked
``pending`` name the issue whose job does not exist yet; they stay out of the built ribbon.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

NS = "http://schemas.microsoft.com/office/2009/07/customui"
MODULE = "arbook"  # the VBA module's name (VB_Name)


@dataclass(frozen=True)
class Group:
    id: str
    de: str
    en: str


@dataclass(frozen=True)
class Button:
    id: str  # ribbon control id
    group: str  # Group.id
    de: str
    en: str
    image: str  # an imageMso name (Office's built-in icons)
    entry: str  # function name in arbook.excel.entry
    pending: str = ""  # e.g. "issue 4": the job does not exist yet, so not in the ribbon

    @property
    def callback(self) -> str:
        """The VBA Sub the button's onAction calls."""
        return "Arb" + self.entry.title().replace("_", "")

    @property
    def python(self) -> str:
        """The Python statement xlwings' RunPython executes."""
        return f"import arbook.excel.entry as e; e.{self.entry}()"


GROUPS = (
    Group("arbLedger", "Offene Posten", "Ledger"),
    Group("arbReminders", "Mahnungen", "Reminders"),
    Group("arbReview", "Review", "Review"),
    Group("arbHelp", "Hilfe", "Help"),
)

BUTTONS = (
    Button("arbRefresh", "arbLedger", "Aktualisieren", "Refresh", "Refresh", "refresh"),
    Button("arbImportInvoices", "arbLedger", "Rechnungen importieren", "Import invoices",
           "ImportExcel", "import_invoices"),
    Button("arbImportBank", "arbLedger", "Kontoauszug einlesen", "Import bank statement",
           "ImportTextFile", "import_bank"),
    Button("arbRemindPreview", "arbReminders", "Vorschau", "Preview", "FilePrintPreview",
           "remind_preview"),
    Button("arbRemindDraft", "arbReminders", "Entwürfe", "Draft", "EnvelopesAndLabelsDialog",
           "remind_draft"),
    Button("arbRemindSend", "arbReminders", "Senden", "Send", "FileSendAsAttachment",
           "remind_send"),
    Button("arbReviewSummary", "arbReview", "Kennzahlen", "Review summary", "ChartInsert",
           "review_summary"),
    Button("arbChecklist", "arbReview", "Checkliste prüfen", "Check checklist",
           "AcceptInvitation", "check_checklist"),
    Button("arbJourney", "arbReview", "Customer Journey", "Customer journey",
           "SmartArtInsert", "customer_journey"),
    Button("arbDocs", "arbHelp", "Dokumentation", "Documentation", "Help", "documentation"),
    Button("arbDoctor", "arbHelp", "Diagnose", "Diagnostics", "ZoomPrintPreviewExcel",
           "diagnostics"),
    Button("arbAbout", "arbHelp", "Über arbook", "About arbook", "Info", "about"),
)

LABEL_CALLBACK = "ArbGetLabel"
GERMAN_UI = (1031, 2055, 3079, 4103, 5127)  # de-DE, de-CH, de-AT, de-LU, de-LI


def ribbon_buttons() -> tuple[Button, ...]:
    """The buttons in the built ribbon: those whose job exists."""
    return tuple(b for b in BUTTONS if not b.pending)


def custom_ui() -> str:
    """customUI14.xml: the arbook tab; labels come from the VBA label callback (de or en)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{NS}">',
        "  <ribbon>",
        "    <tabs>",
        '      <tab id="arbTab" label="arbook">',
    ]
    buttons = ribbon_buttons()
    for group in GROUPS:
        members = [b for b in buttons if b.group == group.id]
        if not members:
            continue
        lines.append(f'        <group id="{group.id}" getLabel="{LABEL_CALLBACK}">')
        for b in members:
            lines.append(
                f'          <button id="{b.id}" getLabel="{LABEL_CALLBACK}" '
                f'imageMso={quoteattr(b.image)} size="large" onAction="{b.callback}"/>')
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)
