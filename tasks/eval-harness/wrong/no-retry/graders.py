"""Graders: decide whether one model output passes one test case (see the ticket, EVAL-21)."""

import json
import re

_REQUIRED = {"exact": ("expected",), "json_field": ("field", "expected"), "regex": ("pattern",)}


def check_grader(grader):
    """Raises ValueError when `grader` is not one of the supported shapes (used before any model call)."""
    if not isinstance(grader, dict) or grader.get("type") not in _REQUIRED:
        raise ValueError(f"unknown grader {grader!r}; expected type exact, json_field or regex")
    missing = [key for key in _REQUIRED[grader["type"]] if key not in grader]
    if missing:
        raise ValueError(f"{grader['type']} grader needs {', '.join(missing)}")
    if grader["type"] == "regex":
        try:
            re.compile(grader["pattern"])
        except (re.error, TypeError) as error:
            raise ValueError(f"invalid regex {grader['pattern']!r}: {error}") from error
    if grader["type"] == "json_field" and not (isinstance(grader["field"], str) and grader["field"]):
        raise ValueError("json_field grader needs a non-empty dotted field path")


def grade(grader, output):
    """True when `output` (the model's reply text, "" when it had none) passes `grader`."""
    check_grader(grader)
    kind = grader["type"]
    if kind == "exact":
        return output.strip() == grader["expected"].strip()
    if kind == "regex":
        return re.search(grader["pattern"], output) is not None
    return _json_field_matches(output, grader["field"], grader["expected"])


_MISSING = object()


def _json_field_matches(output, path, expected):
    try:
        value = json.loads(output)
    except ValueError:
        return False
    for key in path.split("."):
        value = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING:
            return False
    return _same_json(value, expected)


def _same_json(a, b):
    """Equality with JSON types: 42 == 42.0, but 42 != "42" and false != 0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b
