"""Tables whose rows are measured and paginated here, before ReportLab sees them.

Handing ReportLab one 10,000-row Table makes it re-measure every remaining row
each time it splits the table at a page end, which grows with the square of
the row count. Measuring each row once (its lines are already wrapped) and
cutting the rows into one table per page keeps a large audit pack linear, and
lets a row taller than a whole page be continued on the next, not refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.platypus import Flowable

from gvm_desktop.reports.fasttext import TextWriter
from gvm_desktop.reports.fonts import BOLD, REGULAR
from gvm_desktop.reports.text import wrap

Lines = tuple[str, ...]
_MIN_PIECE_LINES = 4  # fewer lines than this at a page foot is not worth starting a long row for

HEADER_FILL = colors.Color(0.86, 0.88, 0.91)
STRIPE_FILL = colors.Color(0.965, 0.965, 0.97)
ALERT_FILL = colors.Color(0.99, 0.89, 0.89)
RULE = colors.Color(0.55, 0.55, 0.6)


@dataclass(frozen=True)
class Row:
    """One table row as wrapped lines per cell. `alert` shades it (a refused or failed access); `fills` tints
    single cells (column, colour), drawn over the row's own shading: a band in colour as well as in words."""

    cells: tuple[Lines, ...]
    alert: bool = False
    bold_cells: tuple[int, ...] = ()
    fills: tuple[tuple[int, colors.Color], ...] = ()


@dataclass(frozen=True)
class Grid:
    """Column widths and type sizes in points; every measurement derives from these."""

    widths: tuple[float, ...]
    size: float = 7.0
    leading: float = 8.6
    pad_x: float = 3.0
    pad_y: float = 2.4
    fonts: tuple[str, ...] = field(default=())

    def font(self, column: int) -> str:
        return self.fonts[column] if column < len(self.fonts) else REGULAR

    def lines(self, column: int, text: str | None, *, font: str | None = None, empty: str = "-") -> Lines:
        return wrap(text, font or self.font(column), self.size, self.widths[column] - 2 * self.pad_x, empty=empty)

    def row(self, texts: Sequence[str | None], *, alert: bool = False, bold_cells: tuple[int, ...] = (),
            empty: str = "-", fills: tuple[tuple[int, colors.Color], ...] = ()) -> Row:
        cells = tuple(self.lines(i, t, font=BOLD if i in bold_cells else None, empty=empty) for i, t in enumerate(texts))
        return Row(cells, alert, bold_cells, fills)

    def field_rows(self, label: str, value: str | None, *, alert: bool = False, max_lines: int = 40) -> list[Row]:
        """A label and its value as one row, or several when the value is very long, so a table can break there."""
        row = self.row((label, value), alert=alert)
        return [Row((row.cells[0] if start == 0 else ("",), row.cells[1][start:start + max_lines]), alert)
                for start in range(0, len(row.cells[1]), max_lines)]

    def block_rows(self, text: str | None, *, max_lines: int = 20, empty: str = "-") -> list[Row]:
        """Text in a one-column grid as rows of at most `max_lines` lines, so even a huge text can break across pages."""
        lines = self.lines(0, text, empty=empty)
        return [Row((lines[start:start + max_lines],)) for start in range(0, len(lines), max_lines)]

    def header(self, labels: Sequence[str]) -> Row:
        return Row(tuple(self.lines(i, label, font=BOLD) for i, label in enumerate(labels)), bold_cells=tuple(range(len(labels))))

    def height(self, row: Row) -> float:
        return max(len(c) for c in row.cells) * self.leading + 2 * self.pad_y

    def max_lines(self, space: float) -> int:
        return max(1, int((space - 2 * self.pad_y) // self.leading))

    def cut(self, row: Row, lines: int) -> tuple[Row, Row | None]:
        """The first `lines` lines of a row, and the rest (if any) marked in its first cell as continued."""
        total = max(len(c) for c in row.cells)
        if total <= lines:
            return row, None
        head = Row(tuple(c[:lines] or ("",) for c in row.cells), row.alert, row.bold_cells, row.fills)
        rest = tuple(c[lines:] or ("",) for c in row.cells)
        rest = ((row.cells[0][0], "(cont.)"), *rest[1:])
        return head, Row(rest, row.alert, row.bold_cells, row.fills)

    def paginate(self, header: Row, rows: Sequence[Row], *, first_space: float, page_space: float) -> list[list[Row]]:
        """Rows grouped per page so that header + rows fit the space; the first page may have less room.

        A row that fits on a page is never split: it moves to the next page whole.
        A row taller than a page starts where it is (if a few lines fit) and continues.
        """
        # A little slack so a rounding difference can never push a planned table over the frame's edge.
        room_rows = page_space - 1.0 - self.height(header)
        pages: list[list[Row]] = [[]]
        left = first_space - 1.0 - self.height(header)
        pending: list[Row] = list(reversed(rows))
        while pending:
            row = pending.pop()
            h = self.height(row)
            if h > left and (h <= room_rows or self.max_lines(left) < _MIN_PIECE_LINES):
                pages.append([])  # the first page may stay empty when the cover above left too little room
                left = room_rows
            if h > left:  # taller than a whole page: take what fits here, the rest continues on the next
                row, rest = self.cut(row, self.max_lines(left))
                pending.append(rest)  # type: ignore[arg-type]  # not None: the row was taller than `left`
                h = self.height(row)
            pages[-1].append(row)
            left -= h
        return pages

    def flowable(self, header: Row | None, rows: Sequence[Row], *, stripes: bool = True, rules: str = "grid",
                 min_height: float = 0) -> GridTable:
        return GridTable(self, header, rows, stripes=stripes, rules=rules, min_height=min_height)


class GridTable(Flowable):
    """Planned rows drawn straight onto the canvas: fills, then rules, then all the text in one text object.

    ReportLab's Table draws each cell line with its own text object and does
    its bookkeeping per cell; for a pack of 10,000 entries that alone took
    several seconds. The look is the same: header band, zebra stripes, shaded
    alert rows, hairline rules. It splits between rows, repeating the header.
    `rules` is "grid" (every cell), "box" (the outline only) or "none".
    """

    def __init__(self, grid: Grid, header: Row | None, rows: Sequence[Row], *, stripes: bool = True,
                 rules: str = "grid", min_height: float = 0) -> None:
        super().__init__()
        self.grid, self.header, self.rows = grid, header, list(rows)
        self.stripes, self.rules, self.min_height = stripes, rules, min_height
        self._body = ([header] if header else []) + self.rows
        self._heights = [grid.height(r) for r in self._body]
        if self._heights and sum(self._heights) < min_height:
            self._heights[-1] += min_height - sum(self._heights)
        self.width, self.height = sum(grid.widths), sum(self._heights)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.width, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        head = self.grid.height(self.header) if self.header else 0.0
        used, fit = head, 0
        for h in self._heights[1 if self.header else 0:]:
            if used + h > ah:
                break
            used, fit = used + h, fit + 1
        if fit == 0 or fit == len(self.rows):
            return []
        first = GridTable(self.grid, self.header, self.rows[:fit], stripes=self.stripes, rules=self.rules)
        rest = GridTable(self.grid, self.header, self.rows[fit:], stripes=self.stripes, rules=self.rules,
                         min_height=max(0.0, self.min_height - first.height))
        return [first, rest]

    def draw(self) -> None:
        canvas, grid = self.canv, self.grid
        xs = [0.0]
        for w in grid.widths:
            xs.append(xs[-1] + w)
        tops = [self.height]
        for h in self._heights:
            tops.append(tops[-1] - h)
        first = 1 if self.header else 0
        # Fills and rules as literal operators too: ReportLab's rect() formats numbers slowly, once per row.
        ops = ["q"]
        for index, row in enumerate(self._body):
            fill = (HEADER_FILL if index < first else ALERT_FILL if row.alert
                    else STRIPE_FILL if self.stripes and (index - first) % 2 else None)
            if fill is not None:
                ops.append(f"{_rgb(fill)} rg 0 {tops[index + 1]:.2f} {self.width:.2f} {self._heights[index]:.2f} re f")
            for col, tint in row.fills:
                ops.append(f"{_rgb(tint)} rg {xs[col]:.2f} {tops[index + 1]:.2f} {grid.widths[col]:.2f} "
                           f"{self._heights[index]:.2f} re f")
        ops.append(f"{_rgb(RULE)} RG 0.3 w")
        if self.rules == "grid":
            ops += [f"{x:.2f} 0 m {x:.2f} {self.height:.2f} l" for x in xs]
            ops += [f"0 {y:.2f} m {self.width:.2f} {y:.2f} l" for y in tops]
            ops.append("S")
        elif self.rules == "box":
            ops.append(f"0 0 {self.width:.2f} {self.height:.2f} re S")
        ops.append("Q")
        canvas.addLiteral("\n".join(ops))
        writer = TextWriter(canvas)
        font = ""
        for index, row in enumerate(self._body):
            for col, lines in enumerate(row.cells):
                want = BOLD if index < first or col in row.bold_cells else grid.font(col)
                if want != font:
                    font = want
                    writer.font(font, grid.size)
                x, y = xs[col] + grid.pad_x, tops[index] - grid.pad_y - 0.95 * grid.size
                for line in lines:
                    writer.line(x, y, line)
                    y -= grid.leading
        writer.finish()


def _rgb(color: colors.Color) -> str:
    return f"{color.red:.3f} {color.green:.3f} {color.blue:.3f}"
