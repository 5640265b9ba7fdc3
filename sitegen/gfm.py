"""GitHub-flavoured Markdown to HTML with cmark-gfm, giving back the memory cmark allocates.

cmarkgfm's Python functions leak: the document tree from ``cmark_parser_finish``
and the HTML buffer from ``cmark_render_html`` are never freed (the parser owns
neither), about 8 KB per abstract. A long preview session or a 100,000-paper
build renders hundreds of thousands of abstracts, so this module calls cmark
itself and frees both: the tree with ``cmark_node_free`` and the buffer with the
C library's ``free``, which is what cmark's default allocator uses. Both
functions are looked up once; where they cannot be found, rendering still works
and only the memory is not given back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cmarkgfm import _cmark, cmark
from cmarkgfm.cmark import Options

EXTENSIONS = ("table", "autolink", "tagfilter", "strikethrough", "tasklist")


@lru_cache(maxsize=1)
def _extensions() -> list[object]:
    """cmark-gfm's GitHub extensions, looked up once (the library's wrapper does it per call)."""
    cmark.core_extensions_ensure_registered()
    return [cmark.find_syntax_extension(name) for name in EXTENSIONS]


@lru_cache(maxsize=1)
def _releasers() -> tuple[Callable[[Any], None], Callable[[Any], None]] | None:
    """``cmark_node_free`` and ``free`` for cmark's pointers, or None where unavailable."""
    try:
        import cffi
    except ImportError:  # pragma: no cover - cmarkgfm is built on cffi
        return None
    try:
        ffi = cffi.FFI()
        ffi.cdef("void cmark_node_free(void *node); void free(void *ptr);")
        node_free = ffi.dlopen(_cmark.__file__).cmark_node_free
        free = ffi.dlopen(None).free
    except (OSError, AttributeError, cffi.FFIError):  # pragma: no cover - another build
        return None

    def pointer(cdata: Any) -> Any:  # a pointer of cmarkgfm's FFI, as one of ours
        return ffi.cast("void *", int(_cmark.ffi.cast("uintptr_t", cdata)))

    return (lambda node: node_free(pointer(node))), (lambda buffer: free(pointer(buffer)))


def to_html(text: str, options: int) -> str:
    """``text`` rendered as ``cmarkgfm.github_flavored_markdown_to_html`` would, without leaking."""
    options |= Options.CMARK_OPT_GITHUB_PRE_LANG
    lib, ffi = _cmark.lib, _cmark.ffi
    releasers = _releasers()
    parser = cmark.parser_new(options)
    root = buffer = ffi.NULL
    try:
        for extension in _extensions():
            cmark.parser_attach_syntax_extension(parser, extension)
        cmark.parser_feed(parser, text)
        root = cmark.parser_finish(parser)
        buffer = lib.cmark_render_html(root, options, cmark.parser_get_syntax_extensions(parser))
        return str(ffi.string(buffer).decode("utf-8"))
    finally:
        if releasers is not None:
            node_free, free = releasers
            if buffer != ffi.NULL:
                free(buffer)
            if root != ffi.NULL:
                node_free(root)
        cmark.parser_free(parser)
