"""``arbook demo``: the whole product on a sample book, with no network and no Excel.

Builds a demo workbook, drops what an ERP and a bank would deliver into its inbox (an
open-item export as German CSV and a camt.053 statement paying some invoices), and runs the
nightly job on it with drafts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from arbook import jobs, nightly
from arbook.core.problems import ArbookError
from arbook.sample import SAMPLE_SETTINGS, make_sample

SAMPLE_SIZE = 200
SEED = 1


@dataclass
class DemoResult:
    folder: Path
    book: Path
    run: nightly.NightlyResult


def run_demo(folder: Path, today: date | None = None, progress=None) -> DemoResult:
    """Build the demo in ``folder`` (which must not hold a demo already) and run nightly."""
    today = today or date.today()
    folder = Path(folder)
    book = folder / "Offene-Posten-Demo.xlsx"
    if book.exists():
        raise ArbookError(f"{folder} already holds a demo ({book.name}); choose another folder "
                          "or delete it first.")
    folder.mkdir(parents=True, exist_ok=True)
    jobs.init_book(book, "de", SAMPLE_SIZE, SEED, today)
    sample = make_sample(SAMPLE_SIZE, SEED, today)
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    open_invoices = [i for i in sample.invoices if i["paid_cents"] == 0
                     and i["amount_cents"] > 0 and i["currency"] == "EUR"]
    (inbox / "OP-Liste-ERP.csv").write_bytes(erp_export(sample, today).encode("cp1252"))
    (inbox / "Kontoauszug-camt053.xml").write_text(
        camt053(open_invoices[:6], sample, today), encoding="utf-8")
    run = nightly.nightly(book, as_of=today, send=False, inbox=inbox, progress=progress,
                          settle_seconds=0)
    return DemoResult(folder, book, run)


def erp_export(sample, today: date) -> str:
    """An ERP open-item list as German accounting software writes it: a title line, `;`,
    comma decimals, DD.MM.YYYY dates, a totals row; three invoices the book does not have yet."""
    customers = sample.customers[:3]
    lines = [f"Offene Posten Debitoren per {today:%d.%m.%Y}", "",
             "Belegnummer;Debitor;Name;Belegdatum;Fälligkeit;Betrag;Offen;WKZ"]
    total = 0
    for i, customer in enumerate(customers, start=1):
        cents = 123_450 * i + 99
        total += cents
        issued = today - timedelta(days=3 * i)
        due = issued + timedelta(days=int(customer.get("terms_days") or 30))
        amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
        lines.append(f"RE-{today:%Y}-9{i:04d};{customer['customer_id']};{customer['name']};"
                     f"{issued:%d.%m.%Y};{due:%d.%m.%Y};{amount};{amount};EUR")
    lines.append(f"Summe;;;;;{total / 100:.2f};{total / 100:.2f};".replace(".", ","))
    return "\r\n".join(lines) + "\r\n"


def camt053(invoices: list[dict], sample, today: date) -> str:
    """A camt.053.001.02 statement: payments naming their invoice numbers (one with Skonto
    where the customer has it), and one payment nobody can place (for the Assign sheet)."""
    by_id = {c["customer_id"]: c for c in sample.customers}
    day = today - timedelta(days=1)
    entries, total = [], 0
    for n, invoice in enumerate(invoices, start=1):
        customer = by_id[invoice["customer_id"]]
        cents = invoice["amount_cents"]
        entries.append(_entry(f"DEMO{n:04d}", cents, customer["name"],
                              f"Rechnung {invoice['invoice_no']} Kd {customer['customer_id']}",
                              day))
        total += cents
    entries.append(_entry("DEMO9999", 4_711, "Max Mustermann", "Erstattung lt. Absprache", day))
    total += 4_711
    opening = 2_500_000
    iban = SAMPLE_SETTINGS["iban"]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>DEMO-{day:%Y%m%d}</MsgId><CreDtTm>{day}T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>DEMO-STMT-{day:%Y%m%d}</Id><CreDtTm>{day}T20:00:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
{_balance("OPBD", opening, day)}
{_balance("CLBD", opening + total, day)}
{"".join(entries)}
</Stmt></BkToCstmrStmt></Document>
"""


def _balance(code: str, cents: int, day: date) -> str:
    return (f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">'
            f"{cents / 100:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")


def _entry(ref: str, cents: int, name: str, text: str, day: date) -> str:
    return (f'<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy="EUR">{cents / 100:.2f}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>"
            f"<ValDt><Dt>{day}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{escape(name)}</Nm></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")
