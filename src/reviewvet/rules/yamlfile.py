"""The one YAML reader of reviewvet: rule files, repository-context files and ``--map`` files.

Every YAML file reviewvet reads may come from a hostile pull request (``.reviewvet.yaml`` is read
from the head revision), so the reader keeps YAML to plain data of bounded size:

- no anchors or aliases (``&a`` / ``*a``): nine levels of aliases expand to billions of nodes;
- no tags (``!!python/object``, ``!!binary``, any ``!tag``): values are what they look like;
- at most ``MAX_YAML_BYTES`` bytes and ``MAX_YAML_DEPTH`` levels of nesting.

Each refusal is a RuleFileError naming the file and the line. The node tree keeps line numbers
(``compose_yaml``); ``node_data`` turns a node into plain Python data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reviewvet.errors import RuleFileError

MAX_YAML_BYTES = 1024 * 1024
MAX_YAML_DEPTH = 32


class _SafeComposer(yaml.SafeLoader):
    """PyYAML's safe loader that refuses anchors, aliases, tags and deep nesting while composing."""

    def __init__(self, text: str, path: str) -> None:
        super().__init__(text)
        self.path = path
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise RuleFileError(self.path, line, f"YAML aliases are not allowed (*{event.anchor})")
        if event.anchor is not None:
            raise RuleFileError(self.path, line, f"YAML anchors are not allowed (&{event.anchor})")
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise RuleFileError(self.path, line, f"YAML tags are not allowed ({tag!r})")
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise RuleFileError(self.path, line, f"nested more than {MAX_YAML_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose_yaml(path: str, text: str) -> Any:
    """The YAML node tree (which keeps line numbers) of one document, or RuleFileError at the line."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise RuleFileError(path, 0, f"is {size} bytes; a YAML file reviewvet reads is at most {MAX_YAML_BYTES}")
    try:
        loader = _SafeComposer(text, path)
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML reads no further
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise RuleFileError(path, line, f"not valid YAML: character U+{code:04X} is not allowed") from exc
    try:
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        said = [getattr(exc, "context", None), getattr(exc, "problem", None)]
        problem = "; ".join(str(s) for s in said if s) or str(exc).splitlines()[0]
        raise RuleFileError(path, mark.line + 1 if mark else 0, f"not valid YAML: {problem}") from exc
    finally:
        loader.dispose()


def node_data(node: Any) -> Any:
    """Plain Python data (dicts, lists, strings, numbers ...) of a node from ``compose_yaml``."""
    constructor = yaml.constructor.SafeConstructor()
    return constructor.construct_document(node)


def load_yaml(path: str, text: str) -> Any:
    """Plain data of a YAML document, read with the same limits; None for an empty one."""
    node = compose_yaml(path, text)
    return None if node is None else node_data(node)


def read_yaml_file(path: Path) -> str:
    """A YAML file's text: RuleFileError when it is over the size limit (checked before reading) or at
    the line of the first byte that is not UTF-8; OSError as it comes."""
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise RuleFileError(str(path), 0, f"is {size} bytes; a YAML file reviewvet reads is at most {MAX_YAML_BYTES}")
    with path.open("rb") as handle:
        data = handle.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise RuleFileError(str(path), 0, f"is over {MAX_YAML_BYTES} bytes, the limit for a YAML file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RuleFileError(str(path), line, f"not UTF-8 (byte {data[exc.start]:#04x})") from exc
