"""Visible tests: pytest -q test_visible.py (more tests run when you submit)."""

from graders import grade
from harness import run_eval


def test_exact_match_ignores_surrounding_whitespace():
    assert grade({"type": "exact", "expected": "Oslo"}, " Oslo\n") is True
    assert grade({"type": "exact", "expected": "Oslo"}, "oslo") is False


def test_report_totals_for_the_demo_suite():
    case = {
        "id": "iso-date",
        "category": "formatting",
        "input": "Write 15 March 2024 as an ISO 8601 date, nothing else.",
        "grader": {"type": "regex", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
    }
    report = run_eval([case])
    assert report["total"] == 1
    assert report["passed"] == 1
    assert report["by_category"]["formatting"]["pass_rate"] == 1.0
