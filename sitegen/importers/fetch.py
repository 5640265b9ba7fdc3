"""Fetch import inputs over the network: any http(s) URL, or arXiv ids via the arXiv API.

Every failure (offline, timeout, HTTP error, binary or oversized answer) is an
:class:`InputError` naming the URL, raised before anything is imported.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from sitegen import __version__
from sitegen.errors import InputError, Problem
from sitegen.frontmatter import decode

ARXIV_API = "https://export.arxiv.org/api/query"
TIMEOUT = 30.0
MAX_BYTES = 50_000_000
ARXIV_BATCH = 100  # ids per API call
ARXIV_PAUSE = 3.0  # seconds between API calls, as arXiv asks
USER_AGENT = f"sitegen/{__version__}"
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)


class Opener(Protocol):
    """What :func:`urllib.request.build_opener` returns, as far as fetching needs it."""

    def open(self, fullurl: Any, data: Any = None, timeout: float = ...) -> Any: ...


def default_opener() -> Opener:
    """The opener used when none is given (tests replace it)."""
    return urllib.request.build_opener()


def arxiv_query_id(raw: str) -> str:
    """``arXiv:2312.11514v2`` or an abs/pdf URL -> ``2312.11514v2``, or an InputError."""
    text = raw.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", "", text)
    text = re.sub(r"(?i)^arxiv:\s*", "", text)
    text = re.sub(r"\.pdf$", "", text)
    if not _ARXIV_ID.match(text):
        raise InputError(f"--arxiv {raw!r} is not an arXiv id (like 2312.11514 or "
                         "hep-th/9608091)")
    return text


def arxiv_query_url(ids: list[str]) -> str:
    """The arXiv API URL that returns the Atom entries of ``ids``."""
    query = urllib.parse.urlencode({"id_list": ",".join(ids), "max_results": len(ids)})
    return f"{ARXIV_API}?{query}"


def fetch_inputs(urls: list[str], arxiv_ids: list[str],
                 opener: Opener | None = None) -> list[tuple[str, str]]:
    """Download every URL and the arXiv entries of ``arxiv_ids`` as (text, label) inputs."""
    ids = list(dict.fromkeys(arxiv_query_id(raw) for raw in arxiv_ids))
    opener = opener or default_opener()
    inputs = [(fetch_text(url, opener), url) for url in urls]
    for start in range(0, len(ids), ARXIV_BATCH):
        if start:
            time.sleep(ARXIV_PAUSE)
        url = arxiv_query_url(ids[start:start + ARXIV_BATCH])
        inputs.append((fetch_text(url, opener), url))
    return inputs


def fetch_text(url: str, opener: Opener) -> str:
    """The text at ``url``: UTF-8 (or the charset the server names), never binary."""
    if not url.lower().startswith(("http://", "https://")):
        raise InputError(f"{url}: only http:// and https:// addresses can be fetched")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            data = response.read(MAX_BYTES + 1)
            charset = _charset(response)
    except urllib.error.HTTPError as exc:
        raise InputError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise InputError(_timeout(url)) from None
        raise InputError(f"{url}: cannot connect ({exc.reason}); check the address and "
                         "that this computer is online") from None
    except TimeoutError:
        raise InputError(_timeout(url)) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise InputError(f"{url}: download failed ({exc or type(exc).__name__})") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{url}: the answer is larger than {MAX_BYTES:,} bytes; not imported")
    if not data.strip():
        raise InputError(Problem(url, 0, "the answer is empty; nothing to import"))
    text, problem = decode(data, url)
    if problem and charset and charset.lower().replace("-", "") != "utf8" and b"\0" not in data:
        try:
            return data.decode(charset).replace("\r\n", "\n").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            pass
    if text is None or problem:  # decode gives text or a problem, never both or neither
        message = problem.message if problem else "cannot be decoded as text"
        raise InputError(Problem(url, 0, message.replace(
            "this is not a text file", "this looks like a binary file")))
    return text


def _timeout(url: str) -> str:
    return f"{url}: no answer within {TIMEOUT:.0f} seconds; try again later"


def _charset(response: Any) -> str | None:
    headers = getattr(response, "headers", None)
    getter = getattr(headers, "get_content_charset", None)
    return getter() if callable(getter) else None
