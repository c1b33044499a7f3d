"""What every PDF the product makes carries on every page, and how a PDF reaches the disk.

Every page is marked OFFICIAL-SENSITIVE at the top and the bottom, numbered
"Page x of y", stamped with the access-log head (so a printout can be matched
to the state of the log it came from, and a truncated log shows), and crossed
by a light diagonal watermark naming who exported it and when (so a leaked
copy names its source). A PDF from a demo vault says "DEMO - synthetic data" at
the foot of every page, so a demo printout cannot pass for a real matrix. The
document's creation date is the export time. The furniture is drawn after the page's content, in a
second pass, because "of y" is only known once every page has been laid out;
drawing the watermark last also means no table shading can hide it.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from gvm_desktop.core.errors import FileWriteError, GvmError
from gvm_desktop.reports.fonts import BOLD, REGULAR, register_fonts, runs
from gvm_desktop.reports.fonts import text_width as stringWidth
from gvm_desktop.reports.text import printable, visual

MARKING = "OFFICIAL-SENSITIVE"
DEMO_MARK = "DEMO - synthetic data"
FOOTNOTE_SIZE = 9.0  # the smallest type the page furniture uses
DEMO_RED = (0.72, 0.06, 0.06)
HEAD_DIGITS = 16

# Page geometry: the content frame sits between the header band and the footer band.
SIDE_MARGIN = 14 * mm
TOP_MARGIN = 21 * mm
BOTTOM_MARGIN = 20 * mm

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class ReportWriteError(FileWriteError):
    """The PDF could not be written where asked (folder missing, not a folder, no permission, disk full)."""

    code = "report_write"


class ReportBuildError(GvmError):
    """Laying out the PDF failed part-way; nothing was written. The cause is chained for the log."""

    code = "report_build"


@dataclass(frozen=True)
class PageFurniture:
    """What is printed around the content of every page."""

    title: str
    exported_by: str
    exported_at: str
    log_head: tuple[int, str]
    subtitle: str = ""
    demo: bool = False  # the vault is a demo vault: every page says so

    @property
    def watermark(self) -> str:
        return f"Exported by {self.exported_by} {utc_minutes(self.exported_at)}"

    @property
    def head_line(self) -> str:
        return format_head(self.log_head)


def format_head(log_head: tuple[int, str]) -> str:
    """'Access log head 1234:9f86d081884c7d65': the sequence and the first 16 hex digits of its hash."""
    seq, digest = log_head
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"The access-log head's sequence must be a whole number, not {seq!r}.")
    if not isinstance(digest, str) or len(digest) < HEAD_DIGITS or not _HEX.fullmatch(digest):
        raise ValueError("The access-log head's hash must be hexadecimal, at least 16 digits.")
    return f"Access log head {seq}:{digest[:HEAD_DIGITS].lower()}"


def parse_utc(text: str | None) -> datetime | None:
    """A time as the log writes it ('2026-11-02T09:00:05Z', or with an offset), or None if it is not one."""
    if not text:
        return None
    if _ISO_Z.fullmatch(text):  # the log's own form: most calls, and strptime is slow for 10,000 rows
        try:
            return datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                            int(text[17:19]), tzinfo=UTC)
        except ValueError:
            return None
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def utc_seconds(text: str | None) -> str:
    """'2026-11-02T09:00:05Z' as '2026-11-02 09:00:05 UTC'; anything else printed as given (never guessed at)."""
    moment = parse_utc(text)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else (text or "-")


def utc_minutes(text: str) -> str:
    """'2026-11-02T09:00:05Z' as '2026-11-02 09:00 UTC', for the watermark."""
    moment = parse_utc(text)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else text


def pdf_date(text: str | None) -> str | None:
    """The PDF date string ('D:20261102090000Z') of an export time, or None if it is not a time."""
    moment = parse_utc(text)
    return moment.strftime("D:%Y%m%d%H%M%SZ") if moment else None


def body_size(pagesize: tuple[float, float]) -> tuple[float, float]:
    """Width and height of the content frame on a page of this size, for laying tables out exactly."""
    width, height = pagesize
    return width - 2 * SIDE_MARGIN, height - TOP_MARGIN - BOTTOM_MARGIN


def build_pdf(out: BinaryIO, furniture: PageFurniture, story: Sequence[Flowable], *,
              pagesize: tuple[float, float] = A4) -> None:
    """Lay `story` out on pages that carry the furniture, and write the PDF to `out`."""
    register_fonts()
    # Page streams are Flate-compressed either way; ReportLab's extra ASCII85 layer makes them a quarter
    # larger and, without its optional C accelerator, costs seconds on a large pack. Only reports use ReportLab.
    rl_config.useA85 = 0
    format_head(furniture.log_head)  # refuse a malformed head before any page is drawn
    doc = BaseDocTemplate(
        out, pagesize=pagesize, leftMargin=SIDE_MARGIN, rightMargin=SIDE_MARGIN, topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN, title=furniture.title, author=furniture.exported_by, subject=MARKING,
        creator="gvm-desktop",
        # Same inputs, same bytes: a pack can be made again later and compared with the one that was sent.
        invariant=1,
    )
    # No frame padding: the builders plan their tables to the point, so the frame must be exactly body_size().
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(list(story), canvasmaker=partial(FurnishedCanvas, furniture=furniture))


class HeldPagesCanvas(Canvas):
    """The two-pass "NumberedCanvas": pages are held back until their count is known, then each is furnished
    (`furnish`: header, footer, "Page x of y") and written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []

    def furnish(self, number: int, total: int) -> None:
        raise NotImplementedError

    def showPage(self) -> None:  # ReportLab's name for it
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self.furnish(number, total)
            Canvas.showPage(self)
        Canvas.save(self)


class FurnishedCanvas(HeldPagesCanvas):
    """Every report's page furniture (marking, log head, DEMO mark, page numbers) on held-back pages."""

    def __init__(self, *args: Any, furniture: PageFurniture, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        # Invariant mode alone dates every PDF 2000-01-01; the export time keeps the bytes reproducible and true.
        exported = pdf_date(furniture.exported_at)
        if exported is not None:
            self.setDateFormatter(lambda *_ymdhms: exported)

    def furnish(self, number: int, total: int) -> None:
        draw_furniture(self, self._furniture, number, total)


def _fit(text: str, font: str, size: float, width: float, *, smallest: float = 6) -> tuple[str, float]:
    """Shrink a one-line label to fit; cut it with an ellipsis only if even the smallest size is too wide."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    room, kept = width - stringWidth("…", font, size), 0
    for ch in text:
        room -= stringWidth(ch, font, size)
        if room < 0:
            break
        kept += 1
    return text[:kept] + "…", size


def draw_string(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, *, anchor: str = "left") -> None:
    """One line at (x, y), anchored left, right or centre, each run in the font that has its glyphs.

    Canvas.drawString knows one font only, so a title naming a CJK BCU or person
    would lose those characters; the runs come from fonts.runs, as in the tables.
    """
    width = stringWidth(text, font, size)
    x -= {"left": 0.0, "right": width, "centre": width / 2}[anchor]
    for name, run in runs(text, font):
        canvas.setFont(name, size)
        canvas.drawString(x, y, run)
        x += stringWidth(run, name, size)


def draw_furniture(canvas: Canvas, furniture: PageFurniture, number: int, total: int) -> None:
    width, height = canvas._pagesize
    left, right = SIDE_MARGIN, width - SIDE_MARGIN
    canvas.saveState()
    canvas.setFillGray(0)

    canvas.setFont(BOLD, 10)
    canvas.drawCentredString(width / 2, height - 9 * mm, MARKING)
    canvas.drawCentredString(width / 2, 6 * mm, MARKING)

    subtitle = visual(printable(furniture.subtitle, REGULAR, empty=""))
    # 9 points at the least, here as in the tables: a line too long is cut with an ellipsis, never shrunk unreadable.
    subtitle, sub_size = _fit(subtitle, REGULAR, 9, (right - left) * 0.35, smallest=FOOTNOTE_SIZE)
    title = visual(printable(furniture.title, BOLD))
    title, title_size = _fit(title, BOLD, 9, (right - left) - stringWidth(subtitle, REGULAR, sub_size) - 12,
                             smallest=FOOTNOTE_SIZE)
    draw_string(canvas, left, height - 15.5 * mm, title, BOLD, title_size)
    draw_string(canvas, right, height - 15.5 * mm, subtitle, REGULAR, sub_size, anchor="right")

    canvas.setStrokeGray(0.6)
    canvas.setLineWidth(0.5)
    canvas.line(left, height - 17.5 * mm, right, height - 17.5 * mm)
    canvas.line(left, 16 * mm, right, 16 * mm)

    canvas.setFont(REGULAR, FOOTNOTE_SIZE)
    draw_string(canvas, left, 12 * mm, furniture.head_line, REGULAR, FOOTNOTE_SIZE)
    page_text = f"Page {number} of {total}"
    canvas.drawRightString(right, 12 * mm, page_text)
    if furniture.demo:  # in the gap between the log head and the page number, which on portrait is off-centre
        head_end = left + stringWidth(furniture.head_line, REGULAR, FOOTNOTE_SIZE)
        _draw_demo_mark(canvas, (head_end + right - stringWidth(page_text, REGULAR, FOOTNOTE_SIZE)) / 2, 12 * mm)
    canvas.restoreState()
    _draw_watermark(canvas, furniture.watermark)


def _draw_demo_mark(canvas: Canvas, centre: float, baseline: float) -> None:
    """Red words in a red box on the footer line, between the log head and the page number."""
    size = 9.0
    width = stringWidth(DEMO_MARK, BOLD, size)
    canvas.saveState()
    canvas.setStrokeColorRGB(*DEMO_RED)
    canvas.setFillColorRGB(*DEMO_RED)
    canvas.setLineWidth(0.8)
    canvas.rect(centre - width / 2 - 4, baseline - 3, width + 8, size + 4.5, stroke=1, fill=0)
    canvas.setFont(BOLD, size)
    canvas.drawCentredString(centre, baseline, DEMO_MARK)
    canvas.restoreState()


def _draw_watermark(canvas: Canvas, text: str) -> None:
    """Along the page's diagonal, light enough to read through, dark enough to survive a photocopy."""
    width, height = canvas._pagesize
    text = visual(printable(text, REGULAR))
    diagonal = math.hypot(width, height)
    size = max(14.0, min(40.0, 0.7 * diagonal / max(stringWidth(text, REGULAR, 1), 1)))
    canvas.saveState()
    canvas.setFillGray(0.45)
    canvas.setFillAlpha(0.22)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(math.degrees(math.atan2(height, width)))
    # ActualText: a reader that copies or extracts the page gets the watermark as one string, not as
    # diagonal letters scattered between the lines of the table.
    canvas.addLiteral(f"/Span <</ActualText <FEFF{text.encode('utf-16-be').hex().upper()}>>> BDC")
    draw_string(canvas, 0, -size / 3, text, REGULAR, size, anchor="centre")
    canvas.addLiteral("EMC")
    canvas.restoreState()


def write_pdf_atomically(path: str | os.PathLike[str], build: Callable[[BinaryIO], object]) -> None:
    """Run `build` into a temporary file beside `path`, fsync it, then rename it over `path`.
    What `build` returns is ignored (so `lambda fh: fh.write(data)` will do).

    A reader never sees half a PDF, and a failure (unwritable folder, full disk,
    a builder that raises) leaves no file behind and an existing file untouched.
    The temporary file is created readable by its owner only (mkstemp), and the
    rename keeps that: an OFFICIAL-SENSITIVE export is not world-readable.

    Raises ReportWriteError (a GvmError and an OSError) when the file system
    refuses, ReportBuildError when laying out fails, and any GvmError the
    builder raised unchanged.
    """
    target = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            build(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, GvmError):
            raise
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from exc
        if isinstance(exc, Exception):
            raise ReportBuildError(f"The PDF could not be made ({type(exc).__name__}); nothing was written.") from exc
        raise
    _fsync_folder(target.parent)


def _write_error(target: Path, exc: OSError) -> ReportWriteError:
    reason = exc.strerror or type(exc).__name__
    error = ReportWriteError(f"Cannot write the PDF to {target}: {reason}.")
    error.errno = exc.errno
    return error


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (Windows cannot open a folder)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
