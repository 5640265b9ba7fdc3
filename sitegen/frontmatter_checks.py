"""The checks of a content file's text and front-matter values that keep pages bounded and clean.

What no page may show is refused here, once for every output: control
characters (C0 but tab and newline) and U+FFFE/U+FFFF, written in the file or
made by a YAML escape, and a byte order mark inside the front matter. YAML
aliases are refused (``*name`` repeats a value, so a few kilobytes could stand
for gigabytes of pages) and values nest at most :data:`MAX_NESTING` levels, so a
file's values are never larger than its text. :mod:`sitegen.frontmatter` adds the
file and line.
"""

from __future__ import annotations

import re

import yaml

from sitegen.errors import Problem

MAX_NESTING = 32  # levels of lists and mappings in one front-matter value
# Characters refused in content: C0 controls but tab and newline (a carriage return is
# a newline by now), and the noncharacters U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


# Every byte but the C0 controls refused: what bytes.translate deletes to find those.
_ALLOWED_BYTES = bytes(b for b in range(256) if b in (9, 10) or b >= 32)


def _has_control(text: str) -> bool:
    """Whether ``_CONTROL`` matches, five times sooner than searching for it.

    In UTF-8 a C0 control is always a byte of its own, and U+FFFE/U+FFFF are the
    only characters encoded as EF BF BE/BF; deleting every allowed byte is one C loop.
    """
    data = text.encode("utf-8", "surrogatepass")
    return bool(data.translate(None, _ALLOWED_BYTES)) or (
        b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter, body, line where the body starts) or None if there is none."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]) + "\n", "\n".join(lines[index + 1 :]), index + 2
    return None


def stray_character(text: str, label: str) -> Problem | None:
    """A control character anywhere in the text, or a byte order mark in its front matter."""
    match = _CONTROL.search(text) if _has_control(text) else None
    if match is not None:
        line = text.count("\n", 0, match.start()) + 1
        return Problem(label, line, f"contains {_name(match.group())}; remove it (no page may "
                                    "show it)")
    if "\ufeff" in text:  # a leading one was removed when the file was decoded
        parts = split_front_matter(text)
        at = text.find("\ufeff")
        # Unclosed front matter (a BOM can hide the closing "---") runs to the end.
        end = parts[2] - 1 if parts is not None else text.count("\n") + 2
        if text.count("\n", 0, at) + 1 < end:
            return Problem(label, text.count("\n", 0, at) + 1,
                           "a byte order mark (U+FEFF) inside the front matter; remove it "
                           "(only the very start of a file may have one)")
    return None


def _name(char: str) -> str:
    """``the control character U+001B (ESC)``, ``the noncharacter U+FFFF``."""
    names = {"\x00": "NUL", "\x07": "BEL", "\x08": "BS", "\x0b": "VT", "\x0c": "FF",
             "\x1b": "ESC"}
    code = f"U+{ord(char):04X}"
    if char in ("\ufffe", "\uffff"):
        return f"the noncharacter {code}"
    return f"the control character {code}" + (f" ({names[char]})" if char in names else "")


def plain_shape(root: yaml.MappingNode, front: str) -> bool:
    """True when no value can use an alias, an escape or too deep a nesting (most files).

    Without a ``*`` in the text there is no alias, so the nodes form a tree and are
    walked level by level with no bookkeeping; without a backslash there is no escape,
    and the text itself was searched for control characters.
    """
    if not front or "*" in front or "\\" in front:
        return False
    level: list[yaml.Node] = [root]
    for _ in range(MAX_NESTING):
        below: list[yaml.Node] = []
        for node in level:
            if type(node) is yaml.SequenceNode:
                below += [item for item in node.value if type(item) is not yaml.ScalarNode]
            else:
                for key, value in node.value:
                    if type(key) is not yaml.ScalarNode:
                        below.append(key)
                    if type(value) is not yaml.ScalarNode:
                        below.append(value)
        if not below:
            return True
        level = below
    return False


def shape_problem(node: yaml.Node, seen: set[int]) -> str:
    """Why a front-matter value cannot be taken: an alias, too deep, or a control character.

    One walk, without recursion, over nodes not met before: an alias is a node met
    again (``seen`` spans the whole file), so no value is ever expanded.
    """
    if isinstance(node, yaml.ScalarNode) and id(node) not in seen:  # the common case
        seen.add(id(node))
        return _scalar_problem(node.value)
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if id(item) in seen:
            return ("uses a YAML alias ('*' and a name) to repeat a value; aliases are not "
                    "allowed in front matter: write the value out")
        seen.add(id(item))
        if isinstance(item, yaml.CollectionNode) and depth > MAX_NESTING:
            return f"lists and mappings nested more than {MAX_NESTING} levels deep"
        if isinstance(item, yaml.ScalarNode):
            problem = _scalar_problem(item.value)
            if problem:
                return problem
        elif isinstance(item, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(item.value))
        elif isinstance(item, yaml.MappingNode):
            for key, value in reversed(item.value):
                stack += [(value, depth + 1), (key, depth + 1)]
    return ""


def _scalar_problem(value: str) -> str:
    match = _CONTROL.search(value)
    if match is None:
        return ""
    return (f"contains {_name(match.group())}, made by a YAML escape; remove it (no page may "
            "show it)")
