"""A compute log shown toolong-style: an index of line offsets, lines read (through the
compute-log manager) only when they are on screen, so a multi-GB log never sits in memory. The step's structured
``context.log`` lines are shown in between, where they fell (each records the byte offset of
the output written before it), as dagit interleaves them.

The log is indexed incrementally (a bounded number of bytes per tick, so a huge existing log
does not freeze the UI) and followed while the step still writes to it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

SCAN_BYTES_PER_TICK = 8 << 20
SCAN_CHUNK = 1 << 20
CACHE_LINES = 2048
MAX_LINE_CHARS = 4096


Reader = Callable[[int, int], bytes]  # (offset, max bytes) -> the log's bytes from there


class LineIndex:
    """Byte offsets of line starts in a growing log, read through ``read`` (the compute-log
    manager's, for one step and stream). Holds offsets, never text."""

    def __init__(self, read: Reader):
        self.read_bytes = read
        self.starts: list[int] = [0]
        self.scanned = 0

    def scan(self, budget: int = SCAN_BYTES_PER_TICK) -> bool:
        """Index up to ``budget`` new bytes; True if new lines were found."""
        found = False
        end = self.scanned + budget
        while self.scanned < end:
            chunk = self.read_bytes(self.scanned, min(SCAN_CHUNK, end - self.scanned))
            if not chunk:
                break
            base = self.scanned
            pos = chunk.find(b"\n")
            while pos != -1:
                self.starts.append(base + pos + 1)
                found = True
                pos = chunk.find(b"\n", pos + 1)
            self.scanned += len(chunk)
        return found

    @property
    def line_count(self) -> int:
        """Complete lines, plus a trailing partial line if there is one."""
        partial = 1 if self.scanned > self.starts[-1] else 0
        return len(self.starts) - 1 + partial

    def span(self, line: int) -> tuple[int, int]:
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else self.scanned
        return start, end

    def read(self, line: int) -> str:
        start, end = self.span(line)
        data = self.read_bytes(start, min(end - start, MAX_LINE_CHARS * 4))
        return data.decode("utf-8", errors="replace").rstrip("\r\n")[:MAX_LINE_CHARS]


class LogFileView(ScrollView, can_focus=True):
    """Shows one log file; follows its end while ``follow`` is on."""

    DEFAULT_CSS = """
    LogFileView { background: $surface; }
    """

    follow: reactive[bool] = reactive(True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.index: LineIndex | None = None
        self._cache: OrderedDict[int, Strip] = OrderedDict()
        self._style = Style()
        self.placeholder = "No step selected."
        self._inserts: list[tuple[int, Strip]] = []  # (byte offset, line), by offset

    def on_mount(self) -> None:
        self.set_interval(0.2, self.poll)

    def show_log(self, read: Reader | None, placeholder: str = "No output yet.",
                 is_stderr: bool = False) -> None:
        """Switch to another log (or none, showing ``placeholder`` while it has no lines)."""
        self.index = LineIndex(read) if read else None
        self._inserts = []
        self.placeholder = placeholder
        self._style = Style(color="red") if is_stderr else Style()
        self._cache.clear()
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False)
        self.poll()
        self.refresh()

    def set_inserts(self, lines: list[tuple[int, str, Style]]) -> None:
        """Structured lines to show between the file's lines: (byte offset, text, style)."""
        inserts = sorted(((o, Strip([Segment(t, st)])) for o, t, st in lines),
                         key=lambda item: item[0])
        if [o for o, _ in inserts] == [o for o, _ in self._inserts] and \
                len(inserts) == len(self._inserts):
            return
        self._inserts = inserts
        self._resize(force=True)

    @property
    def row_count(self) -> int:
        return (self.index.line_count if self.index else 0) + len(self._inserts)

    def _insert_rows(self) -> list[int]:
        """The display row of each insert: before the first line starting at its offset."""
        if self.index is None:
            return list(range(len(self._inserts)))
        starts, count = self.index.starts, self.index.line_count
        return [min(bisect_left(starts, offset), count) + k
                for k, (offset, _) in enumerate(self._inserts)]

    def poll(self) -> None:
        if self.index is None:
            return
        grew = self.index.scan()
        self._resize(force=grew)

    def _resize(self, force: bool = False) -> None:
        at_end = self.scroll_offset.y >= self.max_scroll_y
        rows = self.row_count
        if force or rows != self.virtual_size.height:
            count = self.index.line_count if self.index else 0
            self._cache.pop(count - 1, None)  # the partial last line may have grown
            self._cache.pop(count - 2, None)
            self.virtual_size = Size(self.size.width, rows)
            if self.follow and at_end:
                self.scroll_end(animate=False)
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + int(self.scroll_offset.y)
        if self.row_count == 0:
            if y == 0:
                return Strip([Segment(self.placeholder, Style(dim=True))]).extend_cell_length(
                    width)
            return Strip.blank(width)
        if row >= self.row_count:
            return Strip.blank(width)
        x = int(self.scroll_offset.x)
        insert_rows = self._insert_rows()
        k = bisect_left(insert_rows, row)
        if k < len(insert_rows) and insert_rows[k] == row:
            return self._inserts[k][1].crop(x, x + width).extend_cell_length(width)
        line = row - bisect_right(insert_rows, row)
        if self.index is None:
            return Strip.blank(width)
        strip = self._cache.get(line)
        if strip is None:
            strip = Strip([Segment(self.index.read(line).expandtabs(4), self._style)])
            self._cache[line] = strip
            if len(self._cache) > CACHE_LINES:
                self._cache.popitem(last=False)
        return strip.crop(x, x + width).extend_cell_length(width)
