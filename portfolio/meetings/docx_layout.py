"""How wide a text is set in a Word table, estimated from font metrics: what pack_docx needs to
give each column at least the width of its longest word.

The template's body font is Cambria and its headings' (the table style's bold header row and
first column) Calibri. The widths here, in thousandths of an em, are the widest of DejaVu Serif
and DejaVu Sans (upright and italic) for the text, and of the two DejaVu bolds for the header:
the fonts LibreOffice falls back to on a Debian server without Cambria and Calibri, and wider
than those glyph for glyph. A column wide enough for them is wide enough in Word.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

# Printable ASCII, Latin-1 and the punctuation Danish text uses.
_CHARS = (
    "".join(map(chr, range(32, 127)))
    + "".join(map(chr, range(160, 256)))
    + "\u2013\u2014\u2018\u2019\u201c\u201d\u201e\u2026\u2022\u20ac\u2192\u2264\u2265"
)


def _widths(numbers: str) -> tuple[int, ...]:
    return tuple(int(n) for n in numbers.split())


_REGULAR = _widths(
    """
    318 402 460 838 636 950 890 275 390 390 500 838 318 361 318 337 636 636 636 636 636 636
    636 636 636 636 337 337 838 838 838 536 1000 722 735 765 802 730 694 799 872 395 401 747
    664 1024 875 820 673 820 753 685 667 843 722 1028 712 660 695 390 337 390 838 500 500
    613 640 560 640 615 370 640 644 320 310 606 320 974 644 612 640 640 478 521 402 644 592
    856 592 592 527 636 337 636 838 318 402 636 636 636 636 337 500 500 1000 475 617 838 361
    1000 500 500 838 401 401 500 650 636 318 500 401 471 617 969 969 969 536 722 722 722 722
    722 722 1001 765 730 730 730 730 395 395 395 395 807 875 820 820 820 820 820 838 820 843
    843 843 843 660 676 668 613 613 613 613 613 613 995 560 615 615 615 615 320 320 320 320
    612 644 612 612 612 612 612 838 612 644 644 644 644 592 640 592 500 1000 318 318 518 518
    518 1000 590 636 838 838 838
    """
)
_BOLD = _widths(
    """
    348 456 521 838 696 1002 903 306 473 473 523 838 380 415 380 365 696 696 696 696 696 696
    696 696 696 696 400 400 838 838 838 586 1000 776 845 796 867 762 710 854 945 468 473 869
    703 1107 914 871 752 871 831 722 744 872 776 1123 776 724 730 473 365 473 838 500 500
    675 716 609 716 678 435 716 727 380 362 693 380 1058 727 687 716 716 527 595 478 727 652
    924 645 652 582 712 365 712 838 348 456 696 696 636 696 365 523 500 1000 564 646 838 415
    1000 500 500 838 438 438 500 736 636 380 500 438 564 646 1043 1043 1043 586 776 776 776
    776 776 776 1085 796 762 762 762 762 468 468 468 468 874 914 871 871 871 871 871 838 871
    872 872 872 872 724 757 760 675 675 675 675 675 675 1048 609 678 678 678 678 380 380 380
    380 687 727 687 687 687 687 687 838 687 727 727 727 727 652 716 652 500 1000 380 380 657
    657 657 1000 639 696 838 838 838
    """
)
REGULAR = dict(zip(_CHARS, _REGULAR, strict=True))
BOLD = dict(zip(_CHARS, _BOLD, strict=True))
# A character without a metric (an emoji, a CJK letter): as wide as an em, to be safe.
_UNKNOWN = 1000

# Light Grid's cell margins are 108 twips on each side; a little slack on top for the borders
# and for rounding in the renderer.
CELL_PADDING_PT = 2 * 5.4 + 3
TWIPS_PER_PT = 20
# Longer than any Danish word a pack holds ("Digitaliseringsstyregruppen" is 27): an address, a
# path or a formula. Such a token may break anywhere (the PDF's stylesheet, Word at the cell's
# edge) rather than claim a column as wide as itself.
LONG_TOKEN = 30
# Between one letter and the next, a word processor breaks a line only at a hyphen.
_SPACE = re.compile(r"\s+")
_HYPHEN = re.compile(r"(?<=[^\W\d_]-)(?=[^\W\d_])")
_UNIT = re.compile(r"(kr\.|%)")


def text_width(text: str, size_pt: float, *, bold: bool = False) -> float:
    """The width of `text` on one line, in points."""
    metrics = BOLD if bold else REGULAR
    return sum(metrics.get(c, _UNKNOWN) for c in text) * size_pt / 1000


def unbreakable(text: str) -> list[str]:
    """The pieces a line should not break inside: words, split after a hyphen between letters
    ("ESDH-" "system"), never inside a date ("30-06-2027"), and an amount with its unit
    ("1.250.000 kr.", "80 %")."""
    pieces: list[str] = []
    for word in _SPACE.split(text):
        if not word:
            continue
        if pieces and _UNIT.match(word) and pieces[-1][-1:].isdigit():
            pieces[-1] += " " + word
            continue
        pieces.extend(_HYPHEN.split(word))
    return pieces


@dataclass(frozen=True)
class TableLayout:
    """A table's column widths in twips, its font size, whether it needs a landscape page,
    and whether every column is at least as wide as its longest word."""

    widths: tuple[int, ...]
    size_pt: float
    landscape: bool
    fits: bool


def column_extents(
    rows: Sequence[Sequence[str]], size_pt: float
) -> tuple[list[float], list[float]]:
    """Per column, in points with the cell's padding: the narrowest it may be (its longest
    word, unless longer than LONG_TOKEN) and the width its longest line wants. The first row
    and the first column are bold, as the table style sets them."""
    count = max((len(row) for row in rows), default=0)
    least = [CELL_PADDING_PT] * count
    most = [CELL_PADDING_PT] * count
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            bold = r == 0 or c == 0
            for line in text.split("\n"):
                pieces = [p for p in unbreakable(line) if len(p) <= LONG_TOKEN]
                longest = max((text_width(p, size_pt, bold=bold) for p in pieces), default=0)
                least[c] = max(least[c], longest + CELL_PADDING_PT)
                most[c] = max(most[c], text_width(line, size_pt, bold=bold) + CELL_PADDING_PT)
    return least, most


def _share(
    total: int, least: Sequence[float], most: Sequence[float], keep: Collection[int] = ()
) -> list[int]:
    """Widths summing to `total` (twips): every column its least, the rest shared in
    proportion to what each still wants; when all get what they want, the rest in proportion
    to that. A column in `keep` gets what it wants and no more (a card's labels)."""
    low = [x * TWIPS_PER_PT for x in least]
    high = [x * TWIPS_PER_PT for x in most]
    free = [i for i in range(len(low)) if i not in keep] or list(range(len(low)))
    for i in keep:
        low[i] = high[i]
    if sum(low) > total:  # no room for every word: all in proportion
        widths = [lo * total / sum(low) for lo in low]
    elif sum(high) <= total:
        spare = total - sum(high)
        grow = sum(high[i] for i in free)
        widths = [h + (spare * h / grow if i in free else 0) for i, h in enumerate(high)]
    else:
        want = [h - lo for h, lo in zip(high, low, strict=True)]
        spare = total - sum(low)
        widths = [lo + spare * w / (sum(want) or 1) for lo, w in zip(low, want, strict=True)]
    rounded = [int(w) for w in widths]
    rounded[-1] += total - sum(rounded)
    return rounded


def layout_table(
    rows: Sequence[Sequence[str]],
    *,
    portrait_twips: int,
    landscape_twips: int,
    landscape_now: bool = False,
    sizes: Sequence[float] = (11, 10, 9, 8),
    keep: Collection[int] = (),
) -> TableLayout:
    """Fixed widths for a table (its header first among `rows`) that give no column less than
    its longest word: on a portrait page at the normal size if it fits, else on a landscape
    page, at a smaller size if need be. Text with a word no page can hold (a long address)
    gets the smallest size and widths in proportion to its words. Columns in `keep` are as
    wide as their longest line, no wider."""
    tries = [(True, size) for size in sizes]
    if not landscape_now:
        tries.insert(0, (False, sizes[0]))
    for landscape, size in tries:
        total = landscape_twips if landscape else portrait_twips
        least, most = column_extents(rows, size)
        needed = sum(most[i] if i in keep else x for i, x in enumerate(least))
        if needed * TWIPS_PER_PT <= total:
            return TableLayout(tuple(_share(total, least, most, keep)), size, landscape, True)
    least, _most = column_extents(rows, sizes[-1])
    return TableLayout(tuple(_share(landscape_twips, least, least)), sizes[-1], True, False)
