"""The user guide: its Markdown files, one per role, their sections, and the guide as a printable PDF.

The guide ships in the package (gvm_desktop/resources/guide/*.md). Each role's guide is three files:
Getting started, the role's own, and Keyboard shortcuts. A `## Title {#anchor}` heading gives its
section a stable anchor, which F1 opens at (gui/shell/help_menu.py) and which stays put when the
title is reworded; a heading without one is anchored by its title's slug.

The Markdown is a small subset, parsed here rather than by a library: headings (#, ##, ###),
paragraphs, "- " and "1. " lists, pipe tables, **bold** and `code`. The GUI gives the same text to
Qt's own Markdown reader; the PDF is laid out from the blocks below.

ReportLab is imported inside the PDF functions only: the help window imports this module for the
text, and starting the application must not pay for ReportLab.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, BinaryIO

from gvm_desktop.core.policy import Role

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

INTRODUCTION = "getting-started.md"
SHORTCUTS = "shortcuts.md"
ROLE_FILES: dict[Role, str] = {
    Role.OFFICER: "officer.md",
    Role.SPOC: "spoc.md",
    Role.AUDITOR: "auditor.md",
    Role.PARTNER: "partner.md",
    Role.ADMIN: "administrator.md",
}

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$")
_ANCHOR = re.compile(r"\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\d+\.\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Block:
    """One piece of a guide: a heading, a paragraph, a list or a table (cells and items keep inline Markdown)."""

    kind: str  # heading | paragraph | bullets | numbers | table
    text: str = ""
    level: int = 0  # headings only
    anchor: str = ""  # headings only
    items: tuple[str, ...] = ()  # lists
    rows: tuple[tuple[str, ...], ...] = ()  # tables: the header row first


@dataclass(frozen=True)
class Section:
    """A heading of the guide, as the contents list shows it and F1 finds it."""

    anchor: str
    title: str
    level: int  # 1: a file's title; 2: a section (a screen or a task)


def slug(title: str) -> str:
    """'Team access' -> 'team-access': lower case, letters and digits, words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", title.lower().replace("'", ""))
    return "-".join(words)


def read_file(name: str) -> str:
    return files("gvm_desktop.resources").joinpath("guide").joinpath(name).read_text(encoding="utf-8")


def guide_files(role: Role | None) -> tuple[str, ...]:
    """The files of one role's guide, in reading order; every role's for None (the printed handbook)."""
    own = tuple(ROLE_FILES.values()) if role is None else (ROLE_FILES[role],)
    return (INTRODUCTION, *own, SHORTCUTS)


def guide_markdown(role: Role | None) -> str:
    return "\n\n".join(read_file(name).strip() for name in guide_files(role)) + "\n"


def shown_markdown(markdown: str) -> str:
    """The Markdown without its {#anchor} marks, for a reader that would print them (Qt's)."""
    return "\n".join(_ANCHOR.sub("", line) if _HEADING.match(line) else line for line in markdown.splitlines())


def _cells(line: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in line.strip().strip("|").split("|"))


def parse(markdown: str) -> list[Block]:
    """The blocks of the Markdown subset the guide is written in (see the module's docstring)."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            title, anchor = heading.group(2), ""
            marked = _ANCHOR.search(title)
            if marked:
                anchor, title = marked.group(1), title[:marked.start()].rstrip()
            blocks.append(Block("heading", title, level=len(heading.group(1)), anchor=anchor or slug(title)))
            i += 1
            continue
        if line.lstrip().startswith("|"):
            rows: list[tuple[str, ...]] = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                if not _TABLE_RULE.match(lines[i].strip()):
                    rows.append(_cells(lines[i]))
                i += 1
            blocks.append(Block("table", rows=tuple(rows)))
            continue
        for kind, pattern in (("bullets", _BULLET), ("numbers", _NUMBERED)):
            if pattern.match(line):
                items: list[str] = []
                while i < len(lines) and lines[i].strip():
                    item = pattern.match(lines[i].rstrip())
                    if item:
                        items.append(item.group(1))
                    elif items:  # a wrapped line of the item before
                        items[-1] += " " + lines[i].strip()
                    i += 1
                blocks.append(Block(kind, items=tuple(items)))
                break
        else:
            paragraph: list[str] = []
            while (i < len(lines) and lines[i].strip() and not _HEADING.match(lines[i])
                   and not lines[i].lstrip().startswith("|") and not _BULLET.match(lines[i])
                   and not _NUMBERED.match(lines[i])):
                paragraph.append(lines[i].strip())
                i += 1
            blocks.append(Block("paragraph", " ".join(paragraph)))
    return blocks


def sections(markdown: str) -> list[Section]:
    """The guide's titles (level 1) and sections (level 2), in order: the contents list."""
    return [Section(b.anchor, b.text, b.level) for b in parse(markdown) if b.kind == "heading" and b.level <= 2]


def plain(text: str) -> str:
    """Inline Markdown as the words it shows: '**F1**' -> 'F1'."""
    return _CODE.sub(r"\1", _BOLD.sub(r"\1", text))


# -- the PDF ---------------------------------------------------------------------------------------------------------

TITLE = "gvm-desktop user guide"


def _inline(text: str) -> str:
    """Inline Markdown as ReportLab paragraph markup (the text escaped first: '<' in a guide is a character)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _CODE.sub(r'<font color="#23395d">\1</font>', escaped)


def guide_story(blocks: list[Block], width: float) -> list[Flowable]:
    """The blocks as flowables: headings that keep with what follows, wrapped paragraphs, lists and tables."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import CondPageBreak, ListFlowable, ListItem, PageBreak, Paragraph, Spacer, Table, TableStyle

    from gvm_desktop.reports.fonts import BOLD, REGULAR
    from gvm_desktop.reports.grid import HEADER_FILL, RULE

    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=13, spaceAfter=5)
    item = ParagraphStyle("item", parent=body, spaceAfter=2)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.8, leading=11.5, spaceAfter=0)
    heads = {
        1: ParagraphStyle("h1", fontName=BOLD, fontSize=17, leading=22, spaceBefore=4, spaceAfter=8),
        2: ParagraphStyle("h2", fontName=BOLD, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4),
        3: ParagraphStyle("h3", fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3),
    }
    story: list[Flowable] = []
    for block in blocks:
        if block.kind == "heading":
            # Each part (a file's title) starts a page, so a role's pages can be handed out on their own; a section's
            # heading never ends a page alone.
            story.append(PageBreak() if block.level == 1 and story else CondPageBreak(90))
            story.append(_heading(_inline(block.text), heads[min(block.level, 3)], block.level, block.anchor,
                                  plain(block.text)))
        elif block.kind == "paragraph":
            story.append(Paragraph(_inline(block.text), body))
        elif block.kind in ("bullets", "numbers"):
            numbered = block.kind == "numbers"
            items = [ListItem(Paragraph(_inline(text), item), leftIndent=16) for text in block.items]
            story.append(ListFlowable(items, bulletType="1" if numbered else "bullet", start="1" if numbered else "•",
                                      bulletFormat="%s." if numbered else None, bulletFontName=REGULAR,
                                      bulletFontSize=9, leftIndent=16, spaceAfter=5))
        elif block.kind == "table" and block.rows:
            columns = max(len(r) for r in block.rows)
            widths = ([width * 0.3, width * 0.7] if columns == 2 else [width / columns] * columns)
            data = [[Paragraph(_inline(c if n else f"**{plain(c)}**"), cell) for c in row] + [""] * (columns - len(row))
                    for n, row in enumerate(block.rows)]
            table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
            table.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]))
            story.extend([table, Spacer(1, 6)])
    return story


def build_user_guide_pdf(out: BinaryIO, role: Role | None, *, version: str) -> None:
    """The guide of one role (every role's for None) as a PDF: contents in the PDF's outline, pages numbered."""
    from functools import partial

    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Frame, PageTemplate

    from gvm_desktop.reports.fonts import register_fonts

    register_fonts()
    rl_config.useA85 = 0
    subtitle = "every role" if role is None else role.label
    document_class, canvas_class = _page_classes()
    doc = document_class(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                         bottomMargin=18 * mm, title=f"{TITLE} ({subtitle})", author="gvm-desktop",
                         subject="User guide", creator="gvm-desktop", invariant=1)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    story = guide_story(parse(guide_markdown(role)), doc.width)
    doc.build(story, canvasmaker=partial(canvas_class, footer=f"{TITLE} — {subtitle} — gvm-desktop {version}"))


def write_user_guide_pdf(path: str | os.PathLike[str], role: Role | None, *, version: str) -> None:
    """Write the PDF to `path` whole or not at all (pdf_base.write_pdf_atomically)."""
    from gvm_desktop.reports.pdf_base import write_pdf_atomically

    write_pdf_atomically(path, lambda fh: build_user_guide_pdf(fh, role, version=version))


def _heading(markup: str, style: object, level: int, anchor: str, text: str) -> Flowable:
    """A heading paragraph that marks its place: a named destination (its anchor) and an outline entry."""
    from reportlab.platypus import Paragraph

    heading = Paragraph(markup, style)
    heading._guide_heading = (level, anchor, text)  # read by the guide's document as each heading is laid out
    return heading


def _outline(canvas: Any, flowable: Flowable, used: set[str]) -> None:
    """A heading's named destination and outline entry. Every role's guide together repeats anchors ("matrix" is
    the officer's and the SPOC's): a repeat is numbered, as a destination's name must be unique in the file."""
    mark = getattr(flowable, "_guide_heading", None)
    if mark is None or mark[0] > 2:
        return
    level, anchor, text = mark
    key, n = anchor, 1
    while key in used:
        n += 1
        key = f"{anchor}-{n}"
    used.add(key)
    canvas.bookmarkPage(key)
    canvas.addOutlineEntry(text, key, level=level - 1, closed=level > 1)


@cache
def _page_classes() -> tuple[type, type]:
    """The document (which marks headings in the outline) and the canvas (which numbers pages), made on first use:
    subclasses of ReportLab's, so defining them at import would import ReportLab."""
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate

    from gvm_desktop.reports.fonts import REGULAR
    from gvm_desktop.reports.pdf_base import HeldPagesCanvas

    class GuideDocument(BaseDocTemplate):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.marks: set[str] = set()

        def afterFlowable(self, flowable: Flowable) -> None:  # ReportLab's hook
            _outline(self.canv, flowable, self.marks)

    class NumberedCanvas(HeldPagesCanvas):
        """Pages held back until their count is known, then footed "Page x of y" (pdf_base's way)."""

        def __init__(self, *args: Any, footer: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._footer = footer

        def furnish(self, number: int, total: int) -> None:
            width, _height = self._pagesize
            self.setFont(REGULAR, 7.5)
            self.setFillGray(0.35)
            self.drawString(18 * mm, 10 * mm, self._footer)
            self.drawRightString(width - 18 * mm, 10 * mm, f"Page {number} of {total}")

    return GuideDocument, NumberedCanvas
