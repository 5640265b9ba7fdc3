"""Pagefind's CBOR files as ``sitegen.outputs.pagefind_files`` reads and writes them.

The rewritten files must be byte for byte what Pagefind's own encoder would write:
shortest-form heads and definite lengths (RFC 8949, section 4.2.1, for the types
Pagefind uses). The expected bytes below are written out from the RFC; the index
files of a real Pagefind run must read and re-encode to exactly their bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.outputs.pagefind_files import SIGNATURE, FormatError, pack, read_file

# (value, its CBOR bytes in hex): each integer head size on both sides of its limit.
ENCODINGS = [
    (0, "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65535, "19ffff"),
    (65536, "1a00010000"), (2**32 - 1, "1affffffff"), (2**32, "1b0000000100000000"),
    (-1, "20"), (-24, "37"), (-25, "3818"), (-256, "38ff"), (-257, "390100"),
    (b"\x00\x01", "420001"), ("é", "62c3a9"), ("x" * 24, "7818" + "78" * 24),
    ([], "80"), (["a", [1]], "8261618101"), (list(range(24)), "9818" + "".join(
        f"{n:02x}" if n < 24 else f"18{n:02x}" for n in range(24))),
]


def payload(data: bytes) -> bytes:
    """The CBOR part of a packed file."""
    raw = gzip.decompress(data)
    assert raw.startswith(SIGNATURE)
    return raw[len(SIGNATURE):]


@pytest.mark.parametrize(("value", "expected"), ENCODINGS)
def test_values_are_written_in_shortest_form(value: object, expected: str,
                                             tmp_path: Path) -> None:
    data = pack(value)
    assert payload(data).hex() == expected
    path = tmp_path / "en_0000000.pf_filter"
    path.write_bytes(data)
    assert read_file(path) == value


def test_packed_files_are_reproducible_gzip() -> None:
    data = pack(["tag", [["alpha", [0, 1]]]])
    assert data == pack(["tag", [["alpha", [0, 1]]]])
    assert data[4:8] == b"\x00\x00\x00\x00"  # no timestamp in the gzip header


@pytest.mark.parametrize(("cbor", "why"), [
    ("9f0102ff", "an indefinite-length array"),
    ("0101", "trailing bytes"),
    ("1805", "a number not in its shortest form"),
    ("62fffe", "text that is not UTF-8"),
    ("8201", "a truncated array"),
    ("f93c00", "a half-precision float (Pagefind writes none)"),
    ("c11a514b67b0", "a tagged value"),
])
def test_files_that_would_not_round_trip_are_refused(cbor: str, why: str,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "en_0000000.pf_filter"
    path.write_bytes(gzip.compress(SIGNATURE + bytes.fromhex(cbor), mtime=0))
    with pytest.raises(FormatError):
        read_file(path)


def test_pagefind_s_own_index_files_round_trip(copy_site: Callable[..., Path],
                                                build_site: Callable[..., Path],
                                                tmp_path: Path) -> None:
    """Every CBOR file of a real index re-encodes to its bytes, including the word index
    files that sitegen never rewrites: the encoder matches Pagefind's."""
    site = copy_site("golden")
    config = site / "sitegen.toml"
    config.write_text(config.read_text("utf-8").replace("search = false", "search = true"),
                      encoding="utf-8")
    out = build_site(site, tmp_path / "out")
    files = sorted((out / "pagefind").rglob("*.pf_*"))
    kinds = {path.suffix for path in files}
    assert {".pf_meta", ".pf_filter", ".pf_index"} <= kinds
    for path in files:
        if path.suffix != ".pf_fragment":  # fragments are JSON, not CBOR
            value = read_file(path)
            assert payload(pack(value)) == payload(path.read_bytes()), path.name
