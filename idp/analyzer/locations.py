"""Where things are in a policy's text: JSON paths mapped to spans, as Access Analyzer reports them.

A path is a tuple of steps: `("value", name)` enters the value of an object
member, `("index", i)` an array element, and a final `("key", name)` points at
a member's name itself. Positions are `line` from 1, `column` and `offset`
from 0, counted in characters of the original document.
"""
from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

Step = tuple[str, object]
Path = tuple[Step, ...]
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True)
class Position:
    """A point in the document."""

    line: int
    column: int
    offset: int

    def as_json(self) -> dict:
        """Access Analyzer's Position shape."""
        return {"line": self.line, "column": self.column, "offset": self.offset}


@dataclass(frozen=True)
class Location:
    """A JSON path and the span of text it covers."""

    path: Path
    start: Position
    end: Position

    def as_json(self) -> dict:
        """Access Analyzer's Location shape."""
        return {"path": [{step: value} for step, value in self.path],
                "span": {"start": self.start.as_json(), "end": self.end.as_json()}}


class DocumentMap:
    """Spans of every value and member name of one (syntactically valid) JSON document."""

    def __init__(self, text: str, *, scan: bool = True) -> None:
        """Map `text`; with `scan=False` (text that is not valid JSON) only line/column lookups work."""
        self.text = text
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.spans: dict[Path, tuple[int, int]] = {}
        self.duplicate_at: int | None = None  # offset of the first member named twice in one object
        position = self._skip(0)
        if scan and position < len(text):
            try:
                self._value(position, ())
            except (RecursionError, IndexError, ValueError):  # nesting Python cannot follow: no spans, no crash
                self.spans.clear()

    def position(self, offset: int) -> Position:
        """The line/column of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(line + 1, offset - self._line_starts[line], offset)

    def locate(self, path: Path) -> Location:
        """The location of `path`, or of its nearest ancestor present in the text (an element that is missing)."""
        probe = tuple(path)
        while probe and probe not in self.spans:
            probe = probe[:-1]
        start, end = self.spans.get(probe, (0, len(self.text)))
        return Location(probe, self.position(start), self.position(end))

    def _skip(self, position: int) -> int:
        text = self.text
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        return position

    def _value(self, position: int, path: Path) -> int:
        text = self.text
        char = text[position]
        if char == "{":
            end = self._object(position, path)
        elif char == "[":
            end = self._array(position, path)
        elif char == '"':
            end = self._string_end(position)
        else:
            end = position
            while end < len(text) and text[end] not in ",]} \t\n\r":
                end += 1
        self.spans[path] = (position, end)
        return end

    def _object(self, position: int, path: Path) -> int:
        text = self.text
        position = self._skip(position + 1)
        seen: set[str] = set()
        while text[position] != "}":
            key_end = self._string_end(position)
            key = json.loads(text[position:key_end])
            if key in seen and self.duplicate_at is None:
                self.duplicate_at = position
            seen.add(key)
            self.spans[(*path, ("key", key))] = (position, key_end)
            position = self._skip(self._skip(key_end) + 1)  # past ':'
            position = self._skip(self._value(position, (*path, ("value", key))))
            if text[position] == ",":
                position = self._skip(position + 1)
        return position + 1

    def _array(self, position: int, path: Path) -> int:
        text = self.text
        position = self._skip(position + 1)
        index = 0
        while text[position] != "]":
            position = self._skip(self._value(position, (*path, ("index", index))))
            index += 1
            if text[position] == ",":
                position = self._skip(position + 1)
        return position + 1

    def _string_end(self, position: int) -> int:
        text = self.text
        position += 1
        while text[position] != '"':
            position += 2 if text[position] == "\\" else 1
        return position + 1


def parse_engine_path(path: str) -> Path:
    """The engine's error path (`Statement[0].Condition.StringLike.token.actions...:sub`) as steps.

    Condition keys may contain dots, so everything after `Condition.<operator>.` is one key.
    """
    steps: list[Step] = []
    rest = path
    while rest:
        head, dot, tail = rest.partition(".")
        name, _, indexes = head.partition("[")
        if name:
            steps.append(("value", name))
        for index in filter(None, indexes.replace("]", "").split("[")) if indexes else ():
            steps.append(("index", int(index)))
        if name == "Condition" and tail:
            operator, dot2, key = tail.partition(".")
            steps.append(("value", operator))
            if dot2:
                steps.append(("value", key))
            break
        rest = tail if dot else ""
    return tuple(steps)
