"""Getting the upload's bytes and making sure they are a sane .xlsx before openpyxl sees them."""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from typing import BinaryIO

from importers.results import WorkbookError

# Limits. A real portfolio sheet is well under 1 MB zipped and 20 MB unzipped; these leave
# room for big sheets with pictures while refusing zip bombs before anything is inflated.
MAX_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ENTRY_UNCOMPRESSED = 100 * 1024 * 1024
# Sheet XML usually deflates 5-30x; deflate's own ceiling is about 1030x.
MAX_RATIO = 200
RATIO_CHECKED_FROM = 1024 * 1024
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
CENTRAL_ENTRY = b"PK\x01\x02"
_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?(Override|Default)\b([^>]*)>")
_ATTR = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
WORKBOOK_TYPES = (
    b"spreadsheetml.sheet.main+xml",
    b"spreadsheetml.template.main+xml",
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
)

SAVE_AS_XLSX = "åbn den i Excel, og gem den som Excel-projektmappe (.xlsx)"
EMPTY = "Filen er tom – vælg den rigtige fil, og prøv igen."
CSV = f"Filen er en CSV- eller tekstfil, ikke en Excel-projektmappe – {SAVE_AS_XLSX}."
OLD_EXCEL = f"Filen er i det gamle Excel-format (.xls) – {SAVE_AS_XLSX}."
ENCRYPTED = "Filen er beskyttet med adgangskode – fjern adgangskoden i Excel, og prøv igen."
WORD = "Filen er et Word-dokument, ikke et regneark – vælg porteføljearket (.xlsx)."
POWERPOINT = "Filen er en PowerPoint-præsentation, ikke et regneark – vælg porteføljearket (.xlsx)."
PDF = "Filen er en PDF, ikke et regneark – vælg porteføljearket som Excel-projektmappe (.xlsx)."
HTML = f"Filen er en webside eller XML-fil, ikke en Excel-projektmappe – {SAVE_AS_XLSX}."
ODS = "Filen er et OpenDocument-regneark (.ods) – gem den som Excel-projektmappe (.xlsx)."
XLSB = "Filen er en binær Excel-projektmappe (.xlsb) – gem den som Excel-projektmappe (.xlsx)."
UNKNOWN = f"Filen er ikke en Excel-projektmappe – {SAVE_AS_XLSX}."
BROKEN_ZIP = (
    "Filen er beskadiget eller ufuldstændig (måske afbrudt under overførslen) – gem den igen "
    "fra Excel, og prøv igen."
)
NOT_WORKBOOK = "Filen er en zip-fil, men ikke en Excel-projektmappe – vælg porteføljearket (.xlsx)."
BOMB = (
    "Filen afvises af sikkerhedshensyn, fordi den pakker sig ud til langt mere, end et "
    f"regneark kan fylde (over {MAX_TOTAL_UNCOMPRESSED // 2**20} MB) – gem arket igen fra Excel, "
    "og prøv igen."
)
STRANGE_ZIP = (
    "Filen er pakket på en måde, som Excel ikke bruger – gem arket igen fra Excel som "
    "Excel-projektmappe (.xlsx), og prøv igen."
)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".replace(".", ",")


def too_large(size: int | None, limit: int) -> WorkbookError:
    shown = f" ({_megabytes(size)} MB)" if size is not None else ""
    return WorkbookError(
        f"Filen er for stor{shown}; grænsen er {_megabytes(limit)} MB – fjern billeder og ark, "
        "der ikke skal importeres, og prøv igen."
    )


def read_source(source: str | os.PathLike[str] | bytes | BinaryIO, max_bytes: int) -> bytes:
    """The file's bytes, refusing anything over max_bytes without reading all of it."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_bytes:
            raise too_large(len(data), max_bytes)
        return data
    if isinstance(source, str | os.PathLike):
        try:
            size = os.stat(source).st_size
            if size > max_bytes:
                raise too_large(size, max_bytes)
            with open(source, "rb") as handle:
                return _read_capped(handle, max_bytes)
        except FileNotFoundError:
            raise WorkbookError(f"Filen {os.fspath(source)} findes ikke.") from None
        except IsADirectoryError:
            raise WorkbookError(f"{os.fspath(source)} er en mappe, ikke en fil.") from None
        except OSError as exc:
            raise WorkbookError(
                f"Filen {os.fspath(source)} kan ikke åbnes ({exc.strerror})."
            ) from None
    return _read_capped(source, max_bytes)


def _read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = handle.read(min(1024 * 1024, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise too_large(None, max_bytes)
    return b"".join(chunks)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def identify(data: bytes) -> str | None:
    """Why bytes that are not a zip cannot be a workbook, as a Danish sentence."""
    if not data or (len(data) < 4096 and not data.strip()):
        return EMPTY
    if data.startswith(OLE2):
        # Excel encrypts .xlsx files into an OLE2 container with an EncryptedPackage stream.
        if _utf16("EncryptedPackage") in data:
            return ENCRYPTED
        if _utf16("WordDocument") in data:
            return WORD
        if _utf16("PowerPoint Document") in data:
            return POWERPOINT
        return OLD_EXCEL
    if data.startswith(ZIP_STARTS):
        return None
    if data.startswith(b"%PDF"):
        return PDF
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return CSV  # Excel's "Unicode text" export
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return HTML
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # The cut at 8192 bytes may split a character; a real binary fails earlier.
            if exc.start < len(head) - 4:
                text = head.decode("cp1252", errors="replace")
                return CSV if _mostly_printable(text) else UNKNOWN
        return CSV
    return UNKNOWN


def _mostly_printable(text: str) -> bool:
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


def open_package(data: bytes) -> zipfile.ZipFile:
    """The zip, after checking it is a workbook whose declared sizes are sane."""
    reason = identify(data)
    if reason is not None:
        raise WorkbookError(reason)
    # Counting central-directory signatures first keeps a zip with millions of entries from
    # costing memory in ZipFile's own index.
    if data.count(CENTRAL_ENTRY) > MAX_ENTRIES:
        raise WorkbookError(BOMB)
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        raise WorkbookError(BROKEN_ZIP) from None
    try:
        _check_entries(package)
        _check_workbook(package)
    except BaseException:
        package.close()
        raise
    return package


def _check_entries(package: zipfile.ZipFile) -> None:
    infos = package.infolist()
    if len(infos) > MAX_ENTRIES:
        raise WorkbookError(BOMB)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookError(ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(STRANGE_ZIP)
        size = info.file_size
        total += size
        if size > MAX_ENTRY_UNCOMPRESSED or total > MAX_TOTAL_UNCOMPRESSED:
            raise WorkbookError(BOMB)
        if size > RATIO_CHECKED_FROM and size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookError(BOMB)
    # zipfile itself stops inflating at the declared size (and then fails the CRC check), so
    # an entry that lies about its size cannot inflate past the limits above either.


def _check_workbook(package: zipfile.ZipFile) -> None:
    names = set(package.namelist())
    if "[Content_Types].xml" in names:
        try:
            with package.open("[Content_Types].xml") as handle:
                types = handle.read(MAX_CONTENT_TYPES_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            raise WorkbookError(BROKEN_ZIP) from None
        part = _workbook_part(types)
        if part is not None:
            if part in names:
                return
            raise WorkbookError(NOT_WORKBOOK)
        if b"ms-excel.sheet.binary" in types:
            raise WorkbookError(XLSB)
        if b"wordprocessingml" in types:
            raise WorkbookError(WORD)
        if b"presentationml" in types:
            raise WorkbookError(POWERPOINT)
    if "mimetype" in names:
        try:
            mimetype = package.read("mimetype")[:200]
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            mimetype = b""
        if b"opendocument.spreadsheet" in mimetype:
            raise WorkbookError(ODS)
    raise WorkbookError(NOT_WORKBOOK)


def _workbook_part(types: bytes) -> str | None:
    """Where [Content_Types].xml says the workbook is, as openpyxl will look for it."""
    for match in _ELEMENT.finditer(types):
        attrs = {name: double or single for name, double, single in _ATTR.findall(match[2])}
        if not any(t in attrs.get(b"ContentType", b"") for t in WORKBOOK_TYPES):
            continue
        if match[1] == b"Override" and b"PartName" in attrs:
            return attrs[b"PartName"].decode("utf-8", "replace").lstrip("/")
        if match[1] == b"Default":
            return "xl/workbook.xml"
    return None
