"""Excel .xlsx workbooks (the first sheet, or one named by ``sheet=``)."""
from __future__ import annotations

import zipfile
from typing import Iterator

from ..errors import SourceError
from ..feedback import Feedback, Reject
from .base import FileSource


class XlsxSource(FileSource):
    """Rows of a worksheet; the first non-empty row names the columns. Row numbers are Excel's."""

    format = "xlsx"
    extensions = (".xlsx", ".xlsm")

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject]:
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
                    header = [str(v).strip() if v is not None else f"column{i + 1}" for i, v in enumerate(values)]
                    cols = self.columns.resolve(header, where)
                    continue
                record = {h: v for h, v in zip(header, values)}
                yield cols.to_feedback(record, where, row_no, self.kind)
            if header is None:
                raise SourceError(f"{where}: the sheet is empty")
        finally:
            wb.close()
        self.position = self.size
