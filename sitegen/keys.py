"""Keys and jobs: what every stage needs to say what it made and from what.

Every stage keys what it makes (a page, a feed, a paper's derived values) by
hashing its inputs, so that an incremental build can tell what changed; an
output file is planned as a :class:`Job`, its path, its key and a way to make
its bytes. This leaf module is shared by all of them, so none has to import
another stage for these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

# A file's bytes, or its parts in order: a large file made of many ready parts
# (``papers.json``) is written without first joining them into one more copy.
Content = bytes | list[bytes]


@dataclass
class Job:
    """One output file: site-relative path, input key and a producer of its bytes.

    ``whole``: the file reads every paper (``papers.json``, ``papers.bib``). The
    render stage makes such files in the main process, which owns the site's
    memory: a forked worker reading every paper would copy most of it.
    """

    path: str
    key: str
    produce: Callable[[], Content]
    whole: bool = False


def make_key(*parts: object) -> str:
    """A hash of the given parts (strings, numbers, lists of view keys)."""
    digest = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()
