"""sitegen's own cmark-gfm call renders exactly what cmarkgfm's does, and gives its memory back.

cmarkgfm's functions never free the document tree or the HTML buffer; a render
worker of a 100,000-paper build grew by about 8 KB per abstract because of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cmarkgfm import github_flavored_markdown_to_html
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import gfm
from sitegen.markup import _OPTIONS, _SAFE_OPTIONS

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = [
    "",
    "plain text",
    "A *b* **c** `d` ~~e~~ <sub>2</sub> <script>x</script>",
    "| a | b |\n| - | :-: |\n| 1 | 2 |\n",
    "- [ ] open\n- [x] done\n",
    "www.example.org and https://example.org/x?y=1 and mail@example.org",
    "```python\nprint(1)\n```\n",
    "> quote\n>> nested\n\n1. one\n2. two\n",
    "<div><iframe src=x></iframe><title>t</title></div>",
    "line one\nline two\n\nnew paragraph",
    "ünïcødé — “quotes” 数学 \U0001f600",
    "[link](javascript:alert(1)) ![img](x.png)",
    "&amp; &lt; &#x27; &bogus;",
]


def _content_texts() -> list[str]:
    """The bodies of the example site's papers: real abstracts."""
    folder = ROOT / "content" / "papers"
    return [path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
            for path in sorted(folder.glob("*.md"))]


@pytest.mark.parametrize("options", [_OPTIONS, _SAFE_OPTIONS, 0])
def test_same_html_as_cmarkgfm(options: int) -> None:
    texts = SAMPLES + _content_texts()
    assert len(texts) > 20
    for text in texts:
        assert gfm.to_html(text, options) == github_flavored_markdown_to_html(text, options), text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab *_`~|-:>#[]()<>/&\n\t1.x")), max_size=120))
def test_same_html_on_generated_markup(text: str) -> None:
    for options in (_OPTIONS, _SAFE_OPTIONS):
        assert gfm.to_html(text, options) == github_flavored_markdown_to_html(text, options)


def test_pointers_are_freed() -> None:
    """The release functions are found: the freeing path is the one that runs."""
    assert gfm._releasers() is not None


def _resident_kb() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * 4


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_stays_flat_over_many_renders() -> None:
    """Rendering an abstract 4,000 times keeps the process's size: each render leaked
    about 8 KB before (32 MB here); the allowance is a quarter of that."""
    text = " ".join(_content_texts()[:3])[:1500] + "\n\n| a | b |\n| - | - |\n| 1 | 2 |\n"
    options = _OPTIONS | Options.CMARK_OPT_NOBREAKS
    for _ in range(200):  # settle allocator pools first
        gfm.to_html(text, options)
    before = _resident_kb()
    for _ in range(4000):
        gfm.to_html(text, options)
    grown = _resident_kb() - before
    assert grown < 8 * 1024, f"grew by {grown} KB over 4,000 renders"
