"""``sitegen import --thumbnails`` against a server on 127.0.0.1 that serves one real image
and hostile answers (not an image, a decompression bomb, too many bytes, a cut-off file),
then the build: the thumbnail is the page's ``og:image``, a file of the site itself."""

from __future__ import annotations

import contextlib
import http.server
import io
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from sitegen.importers import thumbs

BASE = "https://example.org/"


def _png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def _bomb(side: int) -> bytes:
    """A valid 1×1 PNG whose header claims ``side`` × ``side`` pixels."""
    data = bytearray(_png((1, 1), (0, 0, 0, 255)))
    ihdr = struct.pack(">II", side, side) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


REAL = _png((1600, 900), (200, 40, 40, 128))  # larger than MAX_SIDE, half transparent
ROUTES = {
    "/real.png": REAL,
    "/page.png": b"<!DOCTYPE html><html><body>not an image</body></html>",
    "/bomb.png": _bomb(30000),  # 900 megapixels: past Pillow's own limit
    "/big.png": _bomb(6000),  # 36 megapixels: under Pillow's limit, past ours
    "/huge.png": REAL[:64] + bytes(thumbs.MAX_BYTES + 10),
    "/cut.png": REAL[: len(REAL) // 2],
}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = ROUTES.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client stopped reading a refused answer
            self.wfile.write(body or b"")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _site(root: Path, server: str) -> Path:
    from sitegen.cli import main

    assert main(["init", str(root)]) == 0
    papers = root / "content" / "papers"
    papers.mkdir(parents=True, exist_ok=True)
    for name in ("real", "page", "bomb", "big", "huge", "cut", "missing"):
        (papers / f"{name}.md").write_text(
            f'---\ntitle: "The {name} paper"\ndate: 2024-01-0{len(name)}\n'
            f'thumbnail: "{server}/{name}.png"\n---\n\nAbout {name} images.\n', "utf-8")
    return root


def test_only_a_real_image_is_kept_and_re_encoded(tmp_path: Path, server: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from sitegen.cli import main

    site = _site(tmp_path / "site", server)
    assert main(["import", "--site", str(site), "--thumbnails"]) == 1  # some failed: say so
    err = capsys.readouterr().err
    folder = site / "static" / "thumbs"
    assert sorted(p.name for p in folder.iterdir()) == ["real.webp"]
    with Image.open(folder / "real.webp") as image:
        assert image.format == "WEBP" and image.size == (1200, 675) and image.mode == "RGB"
        red, green, blue = image.getpixel((600, 300))
        assert red > 200 and 120 < green < 170  # half-transparent red composed onto white
    for name, why in (("page", "not a PNG, JPEG, WebP or GIF"),
                      ("bomb", "claims more than 25,000,000 pixels"),
                      ("big", "6000×6000 pixels is more than 25,000,000"),
                      ("huge", "larger than"), ("cut", "damaged"), ("missing", "404")):
        line = next(line for line in err.splitlines() if f"papers/{name}.md:4:" in line)
        assert why in line, line
    # Fetched once: a second run finds it and fetches only what is missing.
    stamp = (folder / "real.webp").stat().st_mtime_ns
    assert main(["import", "--site", str(site), "--thumbnails"]) == 1
    assert (folder / "real.webp").stat().st_mtime_ns == stamp
    assert "1 already present, 6 failed" in capsys.readouterr().out


def test_the_thumbnail_is_the_og_image_and_no_page_names_the_server(
        tmp_path: Path, server: str, parse_page: object) -> None:
    from sitegen.cli import main

    site = _site(tmp_path / "site", server)
    main(["import", "--site", str(site), "--thumbnails"])
    out = tmp_path / "out"
    assert main(["build", "--site", str(site), "--output", str(out), "--base-url", BASE,
                 "-q"]) == 0
    page = (out / "papers" / "real" / "index.html").read_text("utf-8")
    assert f'<meta property="og:image" content="{BASE}thumbs/real.webp">' in page
    assert (out / "thumbs" / "real.webp").is_file()
    assert not (out / "papers" / "real" / "card.png").exists()
    bomb = (out / "papers" / "bomb" / "index.html").read_text("utf-8")
    assert f'<meta property="og:image" content="{BASE}card.png">' in bomb  # the site's card
    assert (out / "card.png").is_file() and not (out / "papers" / "bomb" / "card.png").exists()
    host = server.split("//", 1)[1]
    for path in out.rglob("*"):
        if path.suffix in (".html", ".xml", ".json", ".opml"):
            assert host not in path.read_text("utf-8"), path


def test_no_thumbnail_address_is_no_quiet_success(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from sitegen.cli import main

    assert main(["init", str(tmp_path / "site")]) == 0
    assert main(["import", "--site", str(tmp_path / "site"), "--thumbnails"]) == 1
    assert "no paper has a thumbnail address" in capsys.readouterr().err


def test_the_hf_api_thumbnail_address_is_kept_on_import(tmp_path: Path) -> None:
    from sitegen.cli import main

    fixture = Path("../shared/fixtures/hf_api_daily_papers_item_2602.23229.json")
    if not fixture.is_file():
        pytest.skip("the shared fixtures are not beside the checkout")
    assert main(["init", str(tmp_path / "site")]) == 0
    assert main(["import", "--site", str(tmp_path / "site"), str(fixture)]) == 0
    text = next((tmp_path / "site" / "content" / "papers").glob("*.md")).read_text("utf-8")
    assert ('thumbnail: "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/'
            '2602.23229.png"') in text
