"""Excel .xlsx workbooks (the first sheet, or one named by ``sheet=``)."""
from __future__ import annotations

import zipfile
from typing import Any, Iterator

from vocmine.core.errors import SourceError
from vocmine.core.dates import EXCEL_SERIAL_RANGE
from vocmine.core.feedback import Feedback, Note, Reject
from vocmine.collect.sources.base import SAMPLE_ROWS, FileSource, unique_headers


class XlsxSource(FileSource):
    """Rows of a worksheet; the first non-empty row names the columns. Row numbers are Excel's."""

    format = "xlsx"
    type = "xlsx"  # the registered name (vocmine.sources)
    extensions = (".xlsx", ".xlsm")

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject | Note]:
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise SourceError("reading .xlsx needs openpyxl; pip install openpyxl") from exc
        where = str(self.path)
        try:
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise SourceError(f"{where}: not a readable .xlsx workbook ({exc})") from exc
        try:
            sheet_name = self.options.get("sheet")
            if sheet_name:
                if sheet_name not in wb.sheetnames:
                    raise SourceError(f"{where}: no sheet {sheet_name!r}; sheets: {', '.join(wb.sheetnames)}")
                ws = wb[sheet_name]
            else:
                ws = wb.worksheets[0]
            where = f"{where} [{ws.title}]"
            total = ws.max_row or 0
            header = None
            cols = None
            for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if total:
                    self.position = int(self.size * row_no / total)
                if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                if header is None:
                    header, notes = unique_headers(list(values), where)
                    yield from notes
                    cols, found = self.columns.resolve_by_content(
                        header, where, lambda: self._sample(ws, header, after=row_no))
                    yield from found
                    from openpyxl.utils.datetime import from_excel
                    epoch = getattr(wb, "epoch", None)
                    continue
                assert cols is not None  # resolved with the header
                record = {h: v for h, v in zip(header, values)}
                created = cols.created
                when = record.get(created) if created else None
                if (created and isinstance(when, (int, float)) and not isinstance(when, bool)
                        and EXCEL_SERIAL_RANGE[0] <= when < EXCEL_SERIAL_RANGE[1]):
                    # A date cell without a date format arrives as its serial number; read it in the
                    # workbook's own date system (1900, or 1904 for old Mac workbooks).
                    record[created] = from_excel(when, epoch) if epoch else from_excel(when)
                yield cols.to_feedback(record, where, row_no, self.kind)
            if header is None:
                raise SourceError(f"{where}: the sheet is empty")
        finally:
            wb.close()
        self.position = self.size

    @staticmethod
    def _sample(sheet: Any, header: list[str], after: int, n: int = SAMPLE_ROWS) -> list[dict]:
        """The first ``n`` rows below the header row, read again on their own (only when no header
        names the text column)."""
        out = []
        for values in sheet.iter_rows(min_row=after + 1, max_row=after + 4 * n, values_only=True):
            if values is None or all(v is None for v in values):
                continue
            out.append({h: v for h, v in zip(header, values)})
            if len(out) >= n:
                break
        return out
