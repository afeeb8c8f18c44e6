"""XLSX files written as their rows come, fast, and the same bytes for the same rows.

What the tracker's workbooks need of the format is small: sheets of text and whole numbers, a
bold header row, column widths, a frozen first row and an autofilter. openpyxl's write-only
mode builds an element object per cell and was most of the time of cutting a release: 20,000
rows of 26 columns take it about 17 s, this writer, which writes the sheets' XML as text, about
1 s (`python benchmarks/bench_xlsx.py` prints both, openpyxl as the baseline).

Cells are inline strings (as xlsxwriter writes in its constant-memory mode, so no table of
shared strings has to be held) or numbers. Each sheet's rows go to a temporary file as they come,
so the sheets of one workbook can be filled from one pass over the rows and memory stays flat;
`save` assembles the archive. No part holds a date or a random name and every member has the
same fixed date, so the same rows always make the same bytes (a release's workbook can be
checked against an `as_of` read). openpyxl reads the files back in the tests.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from xml.sax.saxutils import quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
MAX_ROWS = 1_048_576  # of a sheet, the header included: Excel opens no more
MAX_NAME = 31  # characters of a sheet's name
STAMP = (1980, 1, 1, 0, 0, 0)  # every member's date: the earliest a ZIP file can hold
BATCH_ROWS = 500  # rows joined before they are written to the sheet's file
# Deflate's fastest level: at zlib's default level compressing the sheets took longer than
# writing them, for files about a quarter smaller.
COMPRESS_LEVEL = 1
PLAIN, BOLD = 0, 1  # cell styles (styles.xml)
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

STYLES = (
    f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class TooManyRows(ValueError):
    """A sheet would hold more rows than a spreadsheet opens."""


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text(value: str) -> str:
    """`value` as XML character data. A carriage return is written as a reference, which a
    reader keeps (a bare one becomes a line feed when the XML is read)."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def sheet_name(name: str) -> str:
    """A name a spreadsheet accepts: none of []:*?/\\ and at most 31 characters."""
    return _NAME_FORBIDDEN.sub(" ", name).strip()[:MAX_NAME] or "Sheet"


class Sheet:
    """One sheet: `append` its rows, in order. Cells are XML-safe text
    (institute.control_characters.xml_safe), whole numbers, or None or "" for an empty cell."""

    def __init__(
        self, name: str, widths: list[float], *, frozen_header: bool, max_rows: int = MAX_ROWS
    ):
        self.name, self.widths, self.frozen_header = sheet_name(name), widths, frozen_header
        self.max_rows = min(max_rows, MAX_ROWS)
        self.rows = 0
        self.columns = 0
        self.autofilter = False
        self._letters: list[str] = []
        self._batch: list[str] = []
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the workbook's save

    def append(self, cells, *, style: int = PLAIN) -> None:
        if self.rows + 1 > self.max_rows:
            raise TooManyRows(
                f"The sheet “{self.name}” would hold more than {self.max_rows:,} rows, the most "
                "it may."
            )
        self.rows += 1
        r = self.rows
        if len(cells) > len(self._letters):
            self._letters = [column_letter(n) for n in range(1, len(cells) + 1)]
        self.columns = max(self.columns, len(cells))
        styled = f' s="{style}"' if style else ""
        parts = []
        for letter, value in zip(self._letters, cells, strict=False):
            if value is None or value == "":
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                parts.append(f'<c r="{letter}{r}"{styled}><v>{value}</v></c>')
            else:
                parts.append(
                    f'<c r="{letter}{r}"{styled} t="inlineStr"><is>'
                    f'<t xml:space="preserve">{text(str(value))}</t></is></c>'
                )
        self._batch.append(f'<row r="{r}">{"".join(parts)}</row>')
        if len(self._batch) >= BATCH_ROWS:
            self._flush()

    def skip_row(self) -> None:
        """An empty row."""
        self.append([])

    def _flush(self) -> None:
        self._file.write("".join(self._batch).encode("utf-8"))
        self._batch = []

    def last_column(self) -> str:
        return column_letter(max(self.columns, len(self.widths), 1))

    def last_cell(self) -> str:
        return f"{self.last_column()}{max(self.rows, 1)}"

    def head(self, selected: bool) -> str:
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "")
        if self.frozen_header:
            view += (
                '><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
            )
        else:
            view += "/>"
        cols = "".join(
            f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
            for n, width in enumerate(self.widths, 1)
        )
        return (
            XML_DECLARATION + f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f'<dimension ref="A1:{self.last_cell()}"/>'
            f"<sheetViews>{view}</sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"{f'<cols>{cols}</cols>' if cols else ''}"
            "<sheetData>"
        )

    def tail(self) -> str:
        autofilter = f'<autoFilter ref="A1:{self.last_cell()}"/>' if self.autofilter else ""
        return f"</sheetData>{autofilter}</worksheet>"

    def write_to(self, member, *, selected: bool) -> None:
        self._flush()
        member.write(self.head(selected).encode("utf-8"))
        self._file.seek(0)
        shutil.copyfileobj(self._file, member, 1 << 20)
        member.write(self.tail().encode("utf-8"))

    def close(self) -> None:
        self._file.close()


class Workbook:
    """Sheets, added with `sheet`, filled in any order, and saved once."""

    def __init__(self, *, title: str = "", creator: str = ""):
        self.title, self.creator = title, creator
        self.sheets: list[Sheet] = []

    def sheet(
        self,
        name: str,
        *,
        widths: tuple[float, ...] | list[float] = (),
        frozen_header: bool = False,
        max_rows: int = MAX_ROWS,
    ) -> Sheet:
        sheet = Sheet(name, list(widths), frozen_header=frozen_header, max_rows=max_rows)
        taken = {s.name.lower() for s in self.sheets}
        if sheet.name.lower() in taken:
            sheet.close()
            raise ValueError(f"The workbook has a sheet named “{sheet.name}” already.")
        self.sheets.append(sheet)
        return sheet

    def save(self, handle) -> None:
        """Write the workbook to `handle` (a binary file) and close its sheets."""
        try:
            with zipfile.ZipFile(handle, "w") as archive:
                for name, content in self._parts():
                    self._member(archive, name, content.encode("utf-8"))
                for n, sheet in enumerate(self.sheets, 1):
                    with archive.open(
                        self._info(f"xl/worksheets/sheet{n}.xml"), "w", force_zip64=True
                    ) as member:
                        sheet.write_to(member, selected=n == 1)
        finally:
            for sheet in self.sheets:
                sheet.close()

    @staticmethod
    def _info(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, STAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        # ZipFile applies its compresslevel only to members it names itself (dated now); a
        # ZipInfo of our own carries its level (`compress_level` from Python 3.13, which keeps
        # this name as an alias).
        info._compresslevel = COMPRESS_LEVEL
        return info

    def _member(self, archive, name: str, content: bytes) -> None:
        archive.writestr(self._info(name), content)

    def _parts(self):
        n = len(self.sheets)
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="{CONTENT_TYPE}.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        yield (
            "[Content_Types].xml",
            XML_DECLARATION
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT_TYPE}.styles+xml"/>'
            f"{sheets}"
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>",
        )
        yield (
            "_rels/.rels",
            XML_DECLARATION + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{PACKAGE_RELATIONSHIPS}/metadata/core-properties" '
            'Target="docProps/core.xml"/>'
            "</Relationships>",
        )
        yield (
            "docProps/core.xml",
            XML_DECLARATION + "<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{text(self.title)}</dc:title><dc:creator>{text(self.creator)}</dc:creator>"
            "</cp:coreProperties>",
        )
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{text(self._quoted(sheet.name))}!$A$1:${sheet.last_column()}${max(sheet.rows, 1)}"
            "</definedName>"
            for i, sheet in enumerate(self.sheets)
            if sheet.autofilter
        )
        yield (
            "xl/workbook.xml",
            XML_DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name={quoteattr(sheet.name)} sheetId="{i}" r:id="rId{i}"/>'
                for i, sheet in enumerate(self.sheets, 1)
            )
            + "</sheets>"
            + (f"<definedNames>{filters}</definedNames>" if filters else "")
            + "</workbook>",
        )
        yield (
            "xl/_rels/workbook.xml.rels",
            XML_DECLARATION
            + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{RELATIONSHIPS}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        yield (
            "xl/styles.xml",
            XML_DECLARATION + STYLES,
        )

    @staticmethod
    def _quoted(name: str) -> str:
        """A sheet's name in a formula: in apostrophes, an apostrophe doubled."""
        return "'" + name.replace("'", "''") + "'"
