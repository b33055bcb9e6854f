"""Tables as CSV files for spreadsheets set up in French.

UTF-8 with a byte order mark (so that accents survive the opening), ``;`` between cells and a
decimal comma, as the French settings of spreadsheet software expect. A text cell starting with
a character a spreadsheet reads as a formula is prefixed with an apostrophe: names typed by the
public must never run as formulas on a reader's machine.
"""

import csv
import io

from dlnuf.support.reporting import Cell, Table, tenth

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    text = f"{tenth(value):.1f}".replace(".", ",") if isinstance(value, float) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row])
    return BOM + buffer.getvalue()
