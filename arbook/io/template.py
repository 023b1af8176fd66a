"""Build a new front-end workbook with openpyxl (arbook init).

openpyxl is right for creating a workbook from nothing; it is never used to re-save a user's
workbook (see DESIGN decision 3).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule, Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from arbook.core.checklist import SHORT_LIST, STATUSES, STEPS
from arbook.core.dunning import default_policy
from arbook.core.labels import START
from arbook.core.schema import (
    BANK_QUEUE,
    BASE_RATES,
    BASE_RATES_FIRST_COLUMN,
    CHECKLIST,
    CHECKLIST_SHORT,
    CONTACT_TYPES,
    CONTACTS,
    CUSTOMER_TYPES,
    CUSTOMERS,
    DUNNING,
    DUNNING_FIRST_COLUMN,
    HISTORY,
    IMPORT_MAP,
    IMPORT_MAP_FIRST_COLUMN,
    INVOICES,
    JOURNEY,
    LANGUAGES,
    LISTS_SHEET,
    PAYMENTS,
    PROBLEMS,
    REMINDERS,
    REVIEW_SHEET,
    SETTINGS,
    START_SHEET,
    TEMPLATE_KINDS,
    TONES,
    YES_NO,
    Kind,
    Owner,
    TableSpec,
)
from arbook.core.settings import SETTING_ROWS
from arbook.io.lawdata import load_rate_table
from arbook.io.start_layout import (  # noqa: F401  (re-exported: where jobs write)
    HISTORY_CHART_ROWS,
    JOURNEY_BLOCK_HEIGHT,
    JOURNEY_BLOCK_TOP,
    JOURNEY_BLOCK_WIDTH,
    REVIEW_BLOCK_HEIGHT,
    REVIEW_BLOCK_TOP,
    REVIEW_BLOCK_WIDTH,
    REVIEW_CHART_COL,
    REVIEW_CHART_ROWS,
    START_BLOCK_HEIGHT,
    START_BLOCK_TOP,
    START_BLOCK_WIDTH,
    START_PROGRESS_HEIGHT,
    START_PROGRESS_TOP,
    START_PROGRESS_WIDTH,
    START_STAMP_ROW,
)

OWNER_FILL = {
    Owner.IMPORTED: PatternFill("solid", fgColor="D9D9D9"),  # grey: from the ERP
    Owner.USER: PatternFill("solid", fgColor="FFF2CC"),  # yellow: yours
    Owner.COMPUTED: PatternFill("solid", fgColor="DDEBF7"),  # blue: arbook's
}
DATE_FORMAT = {"de": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
MONEY_FORMAT = "#,##0.00"
THIN = Side(style="thin", color="BFBFBF")


def _number_format(kind: Kind, lang: str) -> str | None:
    return {
        Kind.DATE: DATE_FORMAT[lang],
        Kind.MONEY: MONEY_FORMAT,
        Kind.INT: "0",
        Kind.PERCENT: "0.0%",
    }.get(kind)


def _lists(ws, lang: str) -> dict[str, str]:
    """The hidden Lists sheet: one dropdown source per column. Returns name -> range."""
    sources = {
        "YesNo": YES_NO[lang],
        "CustomerTypes": CUSTOMER_TYPES[lang],
        "ContactTypes": CONTACT_TYPES[lang],
        "Languages": LANGUAGES,
        "Tones": tuple(TONES[lang].values()),
        "Templates": TEMPLATE_KINDS,
        "ChecklistStatus": STATUSES[lang],
    }
    ranges = {}
    for j, (name, values) in enumerate(sources.items(), start=1):
        letter = get_column_letter(j)
        ws.cell(row=1, column=j, value=name).font = Font(bold=True)
        for i, value in enumerate(values, start=2):
            ws.cell(row=i, column=j, value=value)
        ranges[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


_DROPDOWNS = {
    ("tblInvoices", "disputed"): "YesNo",
    ("tblCustomers", "dunning_block"): "YesNo",
    ("tblCustomers", "consumer_notice"): "YesNo",
    ("tblBankQueue", "ignore"): "YesNo",
    ("tblDunning", "tone"): "Tones",
    ("tblDunning", "template"): "Templates",
    ("tblCustomers", "customer_type"): "CustomerTypes",
    ("tblCustomers", "language"): "Languages",
    ("tblContacts", "contact_type"): "ContactTypes",
    ("tblChecklist", "status"): "ChecklistStatus",
    ("tblChecklistShort", "status"): "ChecklistStatus",
}


def _table_sheet(wb, spec: TableSpec, lang: str, rows: list[dict], lists: dict[str, str]):
    """A new sheet holding ``spec``'s table at A1, frozen header, printable."""
    ws = wb.create_sheet(spec.sheet(lang))
    _table(ws, spec, lang, rows, lists)
    ws.freeze_panes = "B2" if spec is INVOICES else "A2"
    ws.row_dimensions[1].height = 32
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    return ws


def _table(ws, spec: TableSpec, lang: str, rows: list[dict], lists: dict[str, str],
           first_col: int = 1) -> None:
    """Write ``spec``'s header, rows, formats and dropdowns with its top-left cell in row 1,
    column ``first_col`` (tables sharing a sheet stand side by side, never overlapping)."""
    columns = list(enumerate(spec.columns, start=first_col))
    for j, column in columns:
        cell = ws.cell(row=1, column=j, value=column.label(lang))
        cell.font = Font(bold=True)
        cell.fill = OWNER_FILL[column.owner]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = column.width
    n = max(len(rows), 1)
    for i, row in enumerate(rows, start=2):
        for j, column in columns:
            value = row.get(column.key)
            if column.kind == Kind.MONEY:
                cents = row.get(f"{column.key}_cents")
                value = None if cents is None else cents / 100
            elif column.kind == Kind.BOOL:
                value = YES_NO[lang][0] if value else (YES_NO[lang][1] if value is False else None)
            ws.cell(row=i, column=j, value=value)
    for j, column in columns:
        fmt = _number_format(column.kind, lang)
        if fmt:
            # the column's own style formats cells added later (by Excel or by a refresh)
            ws.column_dimensions[get_column_letter(j)].number_format = fmt
            for i in range(2, n + 2):
                ws.cell(row=i, column=j).number_format = fmt
    first = get_column_letter(first_col)
    last = f"{get_column_letter(first_col + len(spec.columns) - 1)}{n + 1}"
    table = Table(displayName=spec.name, ref=f"{first}1:{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    ws.add_table(table)

    def validate(key: str, dv: DataValidation) -> None:
        letter = get_column_letter(first_col + spec.keys().index(key))
        dv.add(f"{letter}2:{letter}{max(n + 1, 1000)}")
        ws.add_data_validation(dv)

    for (table_name, key), source in _DROPDOWNS.items():
        if table_name == spec.name:
            dv = DataValidation(type="list", formula1=f"={lists[source]}", allow_blank=True,
                                showErrorMessage=True)
            dv.error = ("Bitte einen Wert aus der Liste wählen." if lang == "de"
                        else "Please pick a value from the list.")
            validate(key, dv)
    for key in spec.keys(Owner.USER):
        if spec.column(key).kind == Kind.DATE:
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526",
                                allow_blank=True, showErrorMessage=True)
            dv.error = ("Bitte ein Datum eingeben, z. B. 26.11.2026." if lang == "de"
                        else "Please enter a date, e.g. 2026-11-26.")
            validate(key, dv)


def _invoice_formatting(ws, lang: str, n: int) -> None:
    """Colour status and bucket cells so the eye finds what is late."""
    from arbook.core.labels import STATUS, bucket_label

    keys = INVOICES.keys()
    status_col = get_column_letter(keys.index("status") + 1)
    bucket_col = get_column_letter(keys.index("bucket") + 1)
    last = max(n + 1, 1000)
    rules = [
        (status_col, STATUS[lang]["overdue"], "F8CBAD"),
        (status_col, STATUS[lang]["disputed"], "FFD966"),
        (status_col, STATUS[lang]["promised"], "C6EFCE"),
        (status_col, STATUS[lang]["on_hold"], "E4DFEC"),
        (status_col, STATUS[lang]["paid"], "EDEDED"),
        (bucket_col, bucket_label(">90", lang), "FF7C80"),
        (bucket_col, bucket_label("61-90", lang), "F8CBAD"),
        (bucket_col, bucket_label("31-60", lang), "FCE4D6"),
    ]
    for col, text, colour in rules:
        ws.conditional_formatting.add(
            f"{col}2:{col}{last}",
            FormulaRule(formula=[f'${col}2="{text}"'], fill=PatternFill("solid", bgColor=colour)),
        )
    # Amounts show their row's currency: 1.234,56 EUR (the separators follow Excel's locale).
    currency_col = get_column_letter(keys.index("currency") + 1)
    money_cols = [get_column_letter(i + 1) for i, c in enumerate(INVOICES.columns)
                  if c.kind == Kind.MONEY]
    ranges = " ".join(f"{c}2:{c}{last}" for c in money_cols)
    for code in CURRENCIES:
        ws.conditional_formatting.add(ranges, _currency_rule(f'${currency_col}2="{code}"', code))


CURRENCIES = ("EUR", "CHF", "USD", "GBP", "PLN", "CZK", "DKK", "SEK")


def _currency_rule(formula: str, code: str) -> FormulaRule:
    style = DifferentialStyle(numFmt=NumberFormat(numFmtId=_currency_format_id(code),
                                                  formatCode=f'#,##0.00 "{code}"'))
    return Rule(type="expression", formula=[formula], dxf=style)


def _currency_format_id(code: str) -> int:
    return 200 + CURRENCIES.index(code)  # custom number formats start at 164


def _start_sheet(ws, lang: str) -> None:
    words = START[lang]
    ws["A1"] = words["title"]
    ws["A1"].font = Font(bold=True, size=16)
    ws["A3"] = words["howto"]
    ws["A3"].font = Font(bold=True)
    for i, step in enumerate(words["steps"], start=4):
        ws.cell(row=i, column=1, value=step)
    ws.cell(row=START_STAMP_ROW, column=1, value=words["refreshed"]).font = Font(bold=True)
    ws.cell(row=START_STAMP_ROW, column=2, value=words["never"])
    ws.cell(row=START_BLOCK_TOP - 1, column=1, value=words["totals"]).font = Font(bold=True)
    for r in range(START_BLOCK_TOP, START_BLOCK_TOP + START_BLOCK_HEIGHT):
        for c in range(1, START_BLOCK_WIDTH + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = Border(bottom=THIN)
            if c > 1:
                cell.number_format = MONEY_FORMAT
            if r == START_BLOCK_TOP:
                cell.font = Font(bold=True)
    for j in range(2, START_BLOCK_WIDTH + 1):  # each currency column shows its currency
        letter = get_column_letter(j)
        cells = f"{letter}{START_BLOCK_TOP + 1}:{letter}{START_BLOCK_TOP + START_BLOCK_HEIGHT - 1}"
        row = START_BLOCK_TOP + 1
        not_counts = f'$A{row}<>"{words["items"]}",$A{row}<>"{words["problems"]}"'
        for code in CURRENCIES:
            ws.conditional_formatting.add(cells, _currency_rule(
                f'AND({letter}${START_BLOCK_TOP}="{code}",{not_counts})', code))
        counts = DifferentialStyle(numFmt=NumberFormat(numFmtId=1, formatCode="0"))
        ws.conditional_formatting.add(cells, Rule(type="expression", dxf=counts,
                                                  formula=[f"NOT(AND({not_counts}))"]))
    ws.column_dimensions["A"].width = 34
    for c in range(2, START_BLOCK_WIDTH + 1):
        ws.column_dimensions[get_column_letter(c)].width = 16
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _dunning_rows(lang: str) -> list[dict]:
    """The default policy as table rows, names and tones in the book's language."""
    return [
        {"stage": s.number, "name": s.name, "days_after_due": s.days_after_due,
         "min_days_since_last": s.min_days_since_last, "min_amount_cents": s.min_amount_cents,
         "fee_cents": s.fee_cents, "deadline_days": s.deadline_days,
         "tone": TONES[lang][s.tone], "template": s.template}
        for s in default_policy(lang).stages
    ]


def _rate_rows() -> list[dict]:
    """Both packaged rate tables, one row per half-year (a blank where a table has none)."""
    german, ecb = load_rate_table("de"), load_rate_table("eu")
    by_start: dict = {}
    for table, key in ((german, "base_rate"), (ecb, "ecb_rate")):
        for start, rate in table.points:
            by_start.setdefault(start, {"half_year": start})[key] = float(rate)
    for row in by_start.values():
        sources = [t.source for t, k in ((german, "base_rate"), (ecb, "ecb_rate")) if k in row]
        row["source"] = "; ".join(sources)
    return [by_start[k] for k in sorted(by_start)]


def _checklist_rows(lang: str) -> tuple[list[dict], list[dict]]:
    first = STATUSES[lang][0]
    steps = [{"step": f"{s.number}. {s.title(lang)}", "item_id": i.id, "item": i.text(lang),
              "status": first} for s in STEPS for i in s.items]
    short = [{"step": "", "item_id": i.id, "item": i.text(lang), "status": first}
             for i in SHORT_LIST]
    return steps, short


def _review_sheets(wb, lang: str, lists: dict[str, str]) -> None:
    """Review (second sheet, with its two charts), History, the checklists and Journey."""
    review = wb.create_sheet(REVIEW_SHEET[lang], index=1)
    review["A1"] = "Review – Forderungen und Service" if lang == "de" else \
        "Review – receivables and service"
    review["A1"].font = Font(bold=True, size=16)
    review["A2"] = ("Wird von 'arbook review' geschrieben; Diagramme und Formate dürfen Sie "
                    "anpassen." if lang == "de" else
                    "Written by 'arbook review'; restyle the charts and formats as you like.")
    review.column_dimensions["A"].width = 38
    for letter in "BCDEFGH":
        review.column_dimensions[letter].width = 18
    review.column_dimensions["C"].width = 60
    history = _table_sheet(wb, HISTORY, lang, [], lists)
    steps, short = _checklist_rows(lang)
    for spec, rows in ((CHECKLIST, steps), (CHECKLIST_SHORT, short)):
        _overdue_items_red(_table_sheet(wb, spec, lang, rows, lists), spec, lang, len(rows))
    journey = _table_sheet(wb, JOURNEY, lang, [], lists)
    journey.column_dimensions["A"].width = 14
    for letter, width in zip("BCDEFG", (12, 26, 16, 14, 10, 50), strict=True):
        journey.column_dimensions[letter].width = width
    _review_charts(review, history, lang)


def _overdue_items_red(ws, spec, lang: str, n: int) -> None:
    """A checklist row turns red while its due date has passed and it is not done or n.a."""
    keys = spec.keys()
    due = get_column_letter(keys.index("due") + 1)
    status = get_column_letter(keys.index("status") + 1)
    done, na = STATUSES[lang][2], STATUSES[lang][3]
    last = get_column_letter(len(keys))
    ws.conditional_formatting.add(
        f"A2:{last}{max(n + 1, 200)}",
        FormulaRule(formula=[f'AND(${due}2<>"",${due}2<TODAY(),${status}2<>"{done}",'
                             f'${status}2<>"{na}")'],
                    fill=PatternFill("solid", bgColor="F8CBAD")))


def _review_charts(review, history, lang: str) -> None:
    """Real Excel charts on cells arbook fills, so users can restyle them."""
    col = REVIEW_CHART_COL
    ageing = BarChart()
    ageing.title = "Offene Posten nach Altersklasse" if lang == "de" else "Open items by bucket"
    ageing.add_data(Reference(review, min_col=col + 1, min_row=REVIEW_BLOCK_TOP,
                              max_row=REVIEW_BLOCK_TOP + REVIEW_CHART_ROWS - 1),
                    titles_from_data=True)
    ageing.set_categories(Reference(review, min_col=col, min_row=REVIEW_BLOCK_TOP + 1,
                                    max_row=REVIEW_BLOCK_TOP + REVIEW_CHART_ROWS - 1))
    ageing.legend = None
    ageing.width, ageing.height = 16, 7.5
    review.add_chart(ageing, f"{get_column_letter(col)}{REVIEW_BLOCK_TOP + REVIEW_CHART_ROWS + 1}")
    keys = HISTORY.keys()
    last = HISTORY_CHART_ROWS + 1
    trend = LineChart()
    trend.title = "DSO und Überfällig-Quote" if lang == "de" else "DSO and overdue share"
    for key in ("dso", "overdue_share"):
        j = keys.index(key) + 1
        trend.add_data(Reference(history, min_col=j, min_row=1, max_row=last),
                       titles_from_data=True)
    trend.set_categories(Reference(history, min_col=keys.index("date") + 1, min_row=2,
                                   max_row=last))
    trend.width, trend.height = 16, 7.5
    review.add_chart(trend, f"{get_column_letter(col)}{REVIEW_BLOCK_TOP + REVIEW_CHART_ROWS + 17}")


def build_workbook(path: Path, lang: str, sample=None) -> None:
    """Write a new front-end workbook to ``path`` (which must not exist)."""
    wb = Workbook()
    start = wb.active
    start.title = START_SHEET[lang]
    _start_sheet(start, lang)
    lists_ws = wb.create_sheet(LISTS_SHEET)
    lists = _lists(lists_ws, lang)
    data = {spec.name: [] for spec in (INVOICES, CUSTOMERS, CONTACTS, PAYMENTS)}
    if sample is not None:
        types = dict(zip(("business", "consumer"), CUSTOMER_TYPES[lang], strict=True))
        contact_types = dict(zip(("call", "email", "letter", "promise", "dispute", "visit"),
                                 CONTACT_TYPES[lang], strict=True))
        data[INVOICES.name] = sample.invoices
        data[CUSTOMERS.name] = [
            {**c, "customer_type": types[c["customer_type"]]} for c in sample.customers
        ]
        data[CONTACTS.name] = [
            {**c, "contact_type": contact_types[c["contact_type"]]} for c in sample.contacts
        ]
        data[PAYMENTS.name] = sample.payments
    invoices_ws = _table_sheet(wb, INVOICES, lang, data[INVOICES.name], lists)
    _invoice_formatting(invoices_ws, lang, len(data[INVOICES.name]))
    for spec in (CUSTOMERS, CONTACTS, PAYMENTS, REMINDERS):
        _table_sheet(wb, spec, lang, data.get(spec.name, []), lists)
    values = {**(sample.settings if sample is not None else {}), "language": lang}
    settings_rows = [
        {"setting": key, "value": values.get(key, default),
         "description": de if lang == "de" else en}
        for key, (default, de, en) in SETTING_ROWS.items()
    ]
    settings_ws = _table_sheet(wb, SETTINGS, lang, settings_rows, lists)
    _table(settings_ws, DUNNING, lang, _dunning_rows(lang), lists, DUNNING_FIRST_COLUMN)
    _table(settings_ws, BASE_RATES, lang, _rate_rows(), lists, BASE_RATES_FIRST_COLUMN)
    _table(settings_ws, IMPORT_MAP, lang, [], lists, IMPORT_MAP_FIRST_COLUMN)
    _table_sheet(wb, BANK_QUEUE, lang, [], lists)
    _table_sheet(wb, PROBLEMS, lang, [], lists)
    _review_sheets(wb, lang, lists)
    wb.move_sheet(lists_ws, offset=len(wb.sheetnames))
    lists_ws.sheet_state = "hidden"
    wb.defined_names["arbook_as_of"] = DefinedName(
        "arbook_as_of", attr_text=f"'{START_SHEET[lang]}'!$B${START_STAMP_ROW}"
    )
    wb.properties.creator = "arbook"
    wb.calculation.fullCalcOnLoad = True
    wb.save(path)
