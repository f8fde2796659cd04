"""Runs an eval suite against the chat API and aggregates the results (ticket EVAL-21)."""

import time

DEFAULT_MODEL = "mock-small"


def run_eval(cases, model=DEFAULT_MODEL, max_attempts=3, sleep=time.sleep):
    """Runs every case once and returns the report described in the ticket.

    cases: [{"id": str, "category": str (optional), "input": str, "system": str (optional),
             "grader": {...}}]
    """
    raise NotImplementedError
