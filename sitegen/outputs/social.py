"""Social cards: a PNG per paper without a thumbnail, for ``og:image`` and Twitter cards.

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
draws. Drawing costs about 10 ms a card (see ``bench/RESULTS.md``); the render
stage spreads the jobs over forked workers like every other file.
"""

from __future__ import annotations

import contextlib
import io
import os
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.pages import Job, SiteData, make_key
from sitegen.views import PaperView

if TYPE_CHECKING:
    from PIL import ImageFont

FORMAT = 1  # bump when cards are drawn differently
SIZE = (1200, 630)
MARGIN = 72
PALETTE = (255, 255, 255, 24, 24, 27, 82, 82, 91, 29, 78, 216)  # white, ink, muted, accent
INK, MUTED, ACCENT = 1, 2, 3
CACHE = "cards"


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


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), size)


def _wrap(text: str, size: int, width: int, lines: int) -> list[str]:
    """``text`` broken into at most ``lines`` lines that fit ``width`` pixels, with an
    ellipsis where it is cut."""
    font = _font(size)
    out: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if font.getlength(trial) <= width:
            line = trial
            continue
        if line:
            out.append(line)
        line = word
        while font.getlength(line) > width:  # one word wider than the card
            cut = max(1, len(line) * width // int(font.getlength(line) + 1))
            out.append(line[:cut])
            line = line[cut:]
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and font.getlength(last + " …") > width:
            last = last[:-1]
        out[-1] = last.rstrip() + " …"
    return out


def draw_card(title: str, authors: str, venue: str, site: str) -> bytes:
    """The PNG bytes of one card (a four-colour palette image: small and quick to encode)."""
    from PIL import Image, ImageDraw

    image = Image.new("P", SIZE, 0)
    image.putpalette(PALETTE)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    draw.rectangle((0, 0, SIZE[0], 14), fill=ACCENT)
    y = MARGIN
    if venue:
        for line in _wrap(venue, 28, width, 1):
            draw.text((MARGIN, y), line, font=_font(28), fill=ACCENT)
        y += 52
    for line in _wrap(title, 56, width, 4):
        draw.text((MARGIN, y), line, font=_font(56), fill=INK)
        y += 70
    y += 24
    for line in _wrap(authors, 30, width, 2):
        draw.text((MARGIN, y), line, font=_font(30), fill=MUTED)
        y += 40
    for line in _wrap(site, 30, width, 1):
        draw.text((MARGIN, SIZE[1] - MARGIN - 30), line, font=_font(30), fill=ACCENT)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
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


def card_jobs(data: SiteData) -> list[Job]:
    """A ``card.png`` beside each paper page whose image is not a fetched thumbnail."""
    if not data.config.social_cards:
        return []
    cache = data.cache_dir / CACHE
    jobs = []
    for view in data.papers:
        if not view.image.endswith("card.png"):
            continue
        text = card_text(view, data.config.title)
        key = make_key("card", FORMAT, text)
        jobs.append(Job(view.image, key, partial(_cached_card, cache, key, text)))
    return jobs
