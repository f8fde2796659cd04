"""Graders: decide whether one model output passes one test case (see the ticket, EVAL-21)."""


def grade(grader, output):
    """True when `output` (the model's reply text, "" when it had none) passes `grader`.

    grader is one of:
      {"type": "exact", "expected": "billing"}
      {"type": "json_field", "field": "order.total", "expected": 42}
      {"type": "regex", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
    """
    raise NotImplementedError


def check_grader(grader):
    """Raises ValueError when `grader` is not one of the shapes above (used before any model call)."""
    raise NotImplementedError
