"""``sitegen import --thumbnails``: each paper's thumbnail, fetched once into the site's files.

The Hugging Face API gives a paper a ``thumbnail`` address (kept by the
importer in the paper's front matter). Fetching it at build time, or letting
pages load it from that host, would make the site depend on another host; so
the import fetches it once into ``static/thumbs/<slug>.webp``, which the build
copies into the site (``thumbs/<slug>.webp``) and uses for ``og:image`` instead
of a drawn card.

An image from the network is untrusted bytes. It is read up to
:data:`MAX_BYTES`; Pillow must recognise it as PNG, JPEG, WebP or GIF from
its header; its header's size must be at most :data:`MAX_PIXELS` before
anything is decoded (a small file can unpack to gigabytes); then it is decoded
completely, flattened onto white and re-encoded as WebP at most
:data:`MAX_SIDE` pixels a side, so nothing of the original file but its pixels
reaches the site. A thumbnail already fetched is not fetched again.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.content import default_slug
from sitegen.errors import InputError, Problem
from sitegen.frontmatter import parse_paper
from sitegen.importers.fetch import Opener, default_opener, fetch_bytes

MAX_BYTES = 5 * 1024 * 1024  # a social thumbnail is a few hundred kB
MAX_PIXELS = 25_000_000  # 5000 × 5000: decoded, about 100 MB
MAX_SIDE = 1200
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
FOLDER = Path("static") / "thumbs"


@dataclass
class ThumbReport:
    """What ``--thumbnails`` did: files fetched, already there, and what failed."""

    fetched: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        failed = f", {len(self.warnings)} failed" if self.warnings else ""
        return (f"thumbnails: {len(self.fetched)} fetched, {len(self.present)} already "
                f"present{failed}")


def reencode(data: bytes, url: str) -> bytes:
    """``data`` checked to be a sane image and re-encoded as WebP; else an InputError."""
    from PIL import Image, UnidentifiedImageError

    def refuse(why: str) -> InputError:
        return InputError(Problem(url, 0, f"thumbnail refused: {why}"))

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise refuse(f"{width}×{height} pixels is more than "
                                 f"{MAX_PIXELS:,} pixels")
                image.load()
                rgb = _flatten(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refuse(f"its header claims more than {MAX_PIXELS:,} pixels") from None
        except UnidentifiedImageError:
            raise refuse("not a PNG, JPEG, WebP or GIF image") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise refuse(f"the image is damaged ({exc})") from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, "WEBP", quality=82, method=4)
    return out.getvalue()


def _flatten(image):  # type: ignore[no-untyped-def]  # PIL.Image.Image in, and out
    """The first frame in RGB, transparency composed onto white."""
    from PIL import Image

    frame = image.convert("RGBA")
    white = Image.new("RGBA", frame.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, frame).convert("RGB")


def fetch_thumbnails(site_root: Path, content: Path, opener: Opener | None = None
                     ) -> ThumbReport:
    """Fetch the thumbnail of every paper under ``content/papers`` that has an address and
    no file yet; failures are warnings naming the paper's file and the address."""
    report = ThumbReport()
    folder = site_root / FOLDER
    for path in sorted((content / "papers").rglob("*.md")):
        label = path.relative_to(site_root).as_posix()
        paper, _ = parse_paper(path.read_text("utf-8", errors="replace"), label)
        url = paper.thumbnail if paper is not None else None
        if paper is None or not isinstance(url, str) or not url:
            continue
        paper.path = path
        target = folder / f"{default_slug(paper)}.webp"
        if target.is_file():
            report.present.append(label)
            continue
        try:
            data = reencode(fetch_bytes(url, opener or default_opener(), MAX_BYTES), url)
        except InputError as exc:
            line = paper.lines.get("thumbnail", 0)
            report.warnings += [Problem(label, line, f"{p.path}: {p.message}")
                                for p in exc.problems]
            continue
        _write(target, data)
        report.fetched.append(label)
    return report


def _write(target: Path, data: bytes) -> None:
    """Write a thumbnail whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
