"""Machine-readable exports keep hostile text as data: JSON-LD in pages, and papers.json.

sitegen writes no RIS or CSL-JSON; its other exports are ``papers.bib`` (see
``tests/test_bibtex_tex.py``), ``papers.json`` and the schema.org JSON-LD in
each paper page. Inside ``<script>`` a ``</script>``, an ``<!--`` or a line
separator (U+2028/U+2029, line ends for old JavaScript parsers) must not
appear as such, and every value must parse back exactly as written.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

HOSTILE_BASE = Path(__file__).resolve().parent / "hostile" / "base"
TITLE = "Break </script><script>alert(1)</script> <!-- x --> \u2028line\u2029para </SCRIPT >"
AUTHOR = "</script ><img src=x onerror=alert(2)>"
ABSTRACT = "Ends </script> early?\u2028 <!-- and -->\u2029 `</script>` $</script>$"


def test_json_exports_keep_hostile_text_as_data(tmp_path: Path,
                                                build_site: Callable[..., Path]) -> None:
    site = tmp_path / "site"
    shutil.copytree(HOSTILE_BASE, site)
    front = yaml.safe_dump({"title": TITLE, "date": "2024-03-05", "authors": [AUTHOR],
                            "doi": "10.1/</script>"}, allow_unicode=True)
    (site / "content" / "papers" / "json.md").write_text(f"---\n{front}---\n\n{ABSTRACT}\n",
                                                         encoding="utf-8")
    out = build_site(site, tmp_path / "out")
    page = (out / "papers" / "json" / "index.html").read_text("utf-8")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert blocks
    for block in blocks:
        assert not re.search(r"</script|<!--", block, re.IGNORECASE), block
        assert "\u2028" not in block and "\u2029" not in block
        data = json.loads(block)
        text = json.dumps(data, ensure_ascii=False)
        assert TITLE in text and AUTHOR in text
    written = (out / "papers.json").read_text("utf-8")
    everything = json.loads(written)
    paper = next(p for p in everything["papers"] if p["slug"] == "json")
    assert paper["title"] == TITLE
    assert paper["authors"] == [AUTHOR]
    assert paper["doi"] == "10.1/</script>"
    assert paper["abstract"] == ABSTRACT
    # Joined from parts kept per paper (each abstract put back in), yet exactly what
    # json.dumps writes of the whole document.
    assert written == json.dumps(everything, sort_keys=True, ensure_ascii=False) + "\n"
    assert len(everything["papers"]) > 1 and all(p["abstract"] for p in everything["papers"])
