"""Social cards: the PNG a paper page without a thumbnail names in ``og:image``.

By default that is one card of the site (:data:`SITE_CARD`: its title and
description), drawn once per build; ``social_cards = true`` draws a card per
paper instead, at 1 to 2 ms of CPU each (20 s or more for a cold build of
10,000 papers, see ``bench/RESULTS.md``), too much for a default.

Each card (1200 × 630, the size link previews ask for) shows the paper's title,
its first authors, its venue when the paper has one and the site's name,
drawn with Pillow in DejaVu Sans, shipped in ``sitegen/fonts/`` (Pillow's
built-in scalable font has no accented letters: ``Über`` came out as a box).
Scripts DejaVu lacks (Chinese, Japanese) still show as boxes. The text is
drawn as pixels, never interpreted: a title holding markup shows it as written.

A card is a job like any page: its key hashes exactly what it shows, and a
build whose key is unchanged keeps the file. The bytes are also kept in
``.sitegen-cache/cards/`` under that key, so a build into an empty output
folder (``--clean``, a new checkout with the cache kept) copies rather than
draws. The render stage spreads the jobs over forked workers like every other
file; each process draws a letter once and a word once and pastes them after
that, which gives the same pixels whatever it drew before.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import unicodedata
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.pages import Job, SiteData, make_key
from sitegen.views import PaperView

if TYPE_CHECKING:
    from PIL import Image, ImageFont

FORMAT = 3  # bump when cards are drawn differently
SIZE = (1200, 630)
MARGIN = 72
WIDTH = SIZE[0] - 2 * MARGIN
Z_RLE = 3  # zlib strategy: runs only, as fast as level 1 and smaller on flat colour
PALETTE = (255, 255, 255, 24, 24, 27, 82, 82, 91, 29, 78, 216)  # white, ink, muted, accent
INK, MUTED, ACCENT = 1, 2, 3
CACHE = "cards"
SITE_CARD = "card.png"  # the card of the site (title, description): every paper's by default
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [text](url) in the description
MARKDOWN_MARK = re.compile(r"[*_`#>]+")


def venue_of(view: PaperView) -> str:
    """The paper's venue when the model or its extra fields have one, else empty."""
    value = getattr(view.paper, "venue", None) or view.paper.extra.get("venue")
    return value if isinstance(value, str) else ""


def card_text(view: PaperView, site_title: str) -> tuple[str, str, str, str]:
    """What a card shows: title, authors line, venue, site name."""
    names = view.authors
    authors = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if not names and view.n_authors:
        authors = f"{view.n_authors} author{'s' if view.n_authors != 1 else ''}"
    return view.title, authors, venue_of(view), site_title


FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"
CAP = 1000  # characters of one field laid out at most: more never fits, and is cut with "…"
ELLIPSIS = "…"
RTL = frozenset(("R", "AL"))
SHAPED = "\u0590"  # from here on, letters are drawn a word at a time (they shape or join)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), size)


@lru_cache(maxsize=4)
def _space(size: int) -> float:
    return _font(size).getlength(" ")


Glyph = tuple["Image.Image | None", int, int, float]  # two-colour mask, its offset, advance


def _drawn(size: int, text: str) -> Glyph:
    """``text`` drawn by FreeType as one run (with the font's shaping and kerning)."""
    from PIL import Image, ImageDraw

    font = _font(size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    if right <= left or bottom <= top:
        return None, 0, 0, font.getlength(text)
    mask = Image.new("1", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=1)
    return mask, left, top, font.getlength(text)


@lru_cache(maxsize=1024)
def _glyph(size: int, cluster: str) -> Glyph:
    """A letter with its combining marks, drawn once per process."""
    return _drawn(size, cluster)


@lru_cache(maxsize=16384)
def _kern(size: int, pair: str) -> float:
    """The kerning between two letters: what the pair's width lacks of their sum."""
    return _font(size).getlength(pair) - _glyph(size, pair[0])[3] - _glyph(size, pair[1])[3]


def _clusters(word: str) -> list[str] | None:
    """``word`` as letters each with its combining marks, or None where letters shape each
    other or read right to left (from U+0590 on: Hebrew, Arabic, Indic, CJK, emoji)."""
    if max(word) >= SHAPED:
        return None
    clusters: list[str] = []
    for char in word:
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


@lru_cache(maxsize=4096)
def _word(size: int, word: str) -> Glyph:
    """One word, put together once per process from letters drawn once (a title's words
    are mostly new, its letters never); scripts that shape their letters, drawn whole."""
    from PIL import Image

    clusters = _clusters(word)
    if clusters is None or len(clusters) == 1:
        return _drawn(size, word)
    placed, x = [], 0.0
    for index, cluster in enumerate(clusters):
        if index:
            x += _kern(size, clusters[index - 1][0] + cluster[0])
        mask, left, top, advance = _glyph(size, cluster)
        if mask is not None:
            placed.append((round(x) + left, top, mask))
        x += advance
    if not placed:
        return None, 0, 0, x
    left, top = min(p[0] for p in placed), min(p[1] for p in placed)
    word_mask = Image.new("1", (max(p[0] + p[2].width for p in placed) - left,
                                max(p[1] + p[2].height for p in placed) - top), 0)
    for px, py, mask in placed:
        corner = (px - left, py - top)
        word_mask.paste(1, (*corner, corner[0] + mask.width, corner[1] + mask.height), mask)
    return word_mask, left, top, x


def _clean(text: str) -> tuple[list[str], bool]:
    """The words of ``text`` with control characters and lone surrogates as spaces, and
    whether it was cut at :data:`CAP` characters."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c
                   for c in text[:CAP])
    return kept.split(), len(text) > CAP


def _split_word(word: str, size: int, width: int) -> list[str]:
    """A word wider than the card, in pieces that fit (a URL, a run without spaces)."""
    font, pieces = _font(size), []
    while word:
        low, high = 1, len(word)
        while low < high:  # the longest prefix that fits, at least one character
            middle = (low + high + 1) // 2
            low, high = (middle, high) if font.getlength(word[:middle]) <= width else (
                low, middle - 1)
        pieces.append(word[:low])
        word = word[low:]
    return pieces


def _wrap(text: str, size: int, width: int, lines: int) -> list[list[str]]:
    """The words of ``text`` in at most ``lines`` lines that fit ``width`` pixels, each word
    measured once, with an ellipsis where it is cut."""
    words, cut = _clean(text)
    space = _space(size)
    out: list[list[str]] = []
    line: list[str] = []
    used = 0.0
    queue = list(reversed(words))
    while queue and len(out) <= lines:
        word = queue.pop()
        advance = _word(size, word)[3]
        if advance > width:
            queue.extend(reversed(_split_word(word, size, width)))
            continue
        if line and used + space + advance > width:
            out.append(line)
            line, used = [], 0.0
        used += (space if line else 0) + advance
        line.append(word)
    if line:
        out.append(line)
    if len(out) > lines or queue or cut:
        out = out[:lines]
        last = out[-1] if out else []
        ellipsis = _word(size, ELLIPSIS)[3]
        while last and _length(last, size) + space + ellipsis > width:
            last = last[:-1] if len(last) > 1 else [last[0][:-1]] if last[0][:-1] else []
        out[-1:] = [[*last, ELLIPSIS]]
    return out


def _length(words: list[str], size: int) -> float:
    return sum(_word(size, w)[3] for w in words) + _space(size) * (len(words) - 1)


def _put(image: Image.Image, xy: tuple[int, int], words: list[str], size: int,
         ink: int) -> None:
    """One line at ``xy`` (left, top of the ascender), pasted from drawn words; a line
    with right-to-left letters is laid out whole, so that its words read in order."""
    text = " ".join(words)
    if text and max(text) >= "\u0590" and any(unicodedata.bidirectional(c) in RTL
                                               for c in text):
        from PIL import ImageDraw

        ImageDraw.Draw(image).text(xy, text, font=_font(size), fill=ink)
        return
    x, space = float(xy[0]), _space(size)
    for word in words:
        mask, left, top, advance = _word(size, word)
        if mask is not None:
            corner = (round(x) + left, xy[1] + top)
            image.paste(ink, (*corner, corner[0] + mask.width, corner[1] + mask.height), mask)
        x += advance + space


@lru_cache(maxsize=2)
def _base(site: str) -> Image.Image:
    """What every card of a site shares (background, accent bar, site name), drawn once."""
    from PIL import Image, ImageDraw

    image = Image.new("P", SIZE, 0)
    image.putpalette(PALETTE)
    ImageDraw.Draw(image).rectangle((0, 0, SIZE[0], 14), fill=ACCENT)
    for line in _wrap(site, 30, WIDTH, 1):
        _put(image, (MARGIN, SIZE[1] - MARGIN - 30), line, 30, ACCENT)
    return image


def draw_card(title: str, authors: str, venue: str, site: str) -> bytes:
    """The PNG bytes of one card: a four-colour palette image, two bits a pixel, compressed
    as runs (``Z_RLE``): about 1 ms to encode and under 20 KB."""
    image = _base(site).copy()
    y = MARGIN
    if venue:
        for line in _wrap(venue, 28, WIDTH, 1):
            _put(image, (MARGIN, y), line, 28, ACCENT)
        y += 52
    for line in _wrap(title, 56, WIDTH, 4):
        _put(image, (MARGIN, y), line, 56, INK)
        y += 70
    y += 24
    for line in _wrap(authors, 30, WIDTH, 2):
        _put(image, (MARGIN, y), line, 30, MUTED)
        y += 40
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=1, compress_type=Z_RLE)
    return out.getvalue()


def _cached_card(cache: Path | None, key: str, text: tuple[str, str, str, str]) -> bytes:
    """The card for ``key``: from the cache when drawn before, else drawn and kept."""
    path = cache / key[:2] / f"{key}.png" if cache is not None else None
    if path is not None:
        with contextlib.suppress(OSError):
            return path.read_bytes()
    data = draw_card(*text)
    if path is not None:
        temporary = path.with_name(f"{key}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:  # a cache that cannot be written costs time only
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
    return data


def site_text(data: SiteData) -> tuple[str, str, str, str]:
    """What the site card shows: the site's title and its description as plain text."""
    description = MARKDOWN_LINK.sub(r"\1", data.config.description)
    return data.config.title, MARKDOWN_MARK.sub("", description), "", ""


def card_jobs(data: SiteData) -> list[Job]:
    """A ``card.png`` beside each paper page whose image is a drawn card, and the site
    card (:data:`SITE_CARD`, drawn once) when some paper page shows that one."""
    cache = data.cache_dir / CACHE
    jobs = []
    if any(view.image == SITE_CARD for view in data.papers):
        text = site_text(data)
        key = make_key("site card", FORMAT, text)
        jobs.append(Job(SITE_CARD, key, partial(_cached_card, cache, key, text)))
    for view in data.papers:
        if view.image != f"{view.path}card.png":
            continue
        text = card_text(view, data.config.title)
        key = make_key("card", FORMAT, text)
        jobs.append(Job(view.image, key, partial(_cached_card, cache, key, text)))
    return jobs
