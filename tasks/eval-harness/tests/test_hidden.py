"""Hidden tests for eval-harness.

The scripted model (llm/mock.yaml) answers each "EV-…" case in a fixed way: some right, some
wrong on purpose, some only after a 500 or 429, one never. The expected report follows from the
ticket's rules.
"""

import time

import pytest
from worksample_harness import subject

# The candidate's graders.py and harness.py run in the subject process; calls cross the bridge.
graders = subject("graders")
harness = subject("harness")


def case(marker, category, grader, system=None):
    c = {"id": marker.lower(), "input": f"Case {marker}: answer as instructed.", "grader": grader}
    if category is not None:
        c["category"] = category
    if system is not None:
        c["system"] = system
    return c


EXACT = lambda expected: {"type": "exact", "expected": expected}  # noqa: E731
FIELD = lambda field, expected: {"type": "json_field", "field": field, "expected": expected}  # noqa: E731
REGEX = lambda pattern: {"type": "regex", "pattern": pattern}  # noqa: E731
ISO_DATE = REGEX(r"^\d{4}-\d{2}-\d{2}$")

SUITE = [
    case("EV-E1", "extraction", FIELD("city", "Oslo")),
    case("EV-C1", "classification", EXACT("billing")),
    case("EV-F1", "formatting", ISO_DATE),
    case("EV-E2", "extraction", FIELD("order.total", 42)),  # answers "42" (a string)
    case("EV-C2", "classification", EXACT("bug")),  # answers "Bug"
    case("EV-C3", "classification", EXACT("feature")),  # 500 on every attempt
    case("EV-F2", "formatting", ISO_DATE),  # answers "March 15, 2024"
    case("EV-E3", "extraction", FIELD("city", "Lisbon")),  # broken JSON
    case("EV-C4", "classification", EXACT("other")),  # 429, 429, then right
    case("EV-F3", "formatting", REGEX(r"\bUSD\b")),
    case("EV-E4", "extraction", FIELD("customer.name", "Ada")),  # 500, then right
    case("EV-U1", None, EXACT("yes")),
    case("EV-F4", "formatting", REGEX(r".+")),  # a tool call, no text
    case("EV-C5", "classification", EXACT("billing")),
]


@pytest.fixture(scope="module")
def report():
    return harness.run_eval(SUITE)


def by_id(report):
    return {r["id"]: r for r in report["results"]}


# --- graders ---------------------------------------------------------------------------------


def test_exact_grader_strips_whitespace_and_is_case_sensitive():
    assert graders.grade(EXACT("billing"), "  billing\n") is True
    assert graders.grade(EXACT("billing"), "Billing") is False
    assert graders.grade(EXACT("billing"), "billing.") is False
    assert graders.grade(EXACT("billing"), "") is False


def test_json_field_grader_follows_dotted_paths_with_strict_types():
    out = '{"order": {"id": "A-17", "total": 42, "paid": false}, "tags": ["x"]}'
    assert graders.grade(FIELD("order.total", 42), out) is True
    assert graders.grade(FIELD("order.paid", False), out) is True
    assert graders.grade(FIELD("tags", ["x"]), out) is True
    assert graders.grade(FIELD("order.total", "42"), out) is False
    assert graders.grade(FIELD("order.missing", None), out) is False
    assert graders.grade(FIELD("order.total.value", 42), out) is False


def test_json_field_grader_fails_bad_json_without_raising():
    assert graders.grade(FIELD("city", "Oslo"), '{"city": "Oslo", ') is False
    assert graders.grade(FIELD("city", "Oslo"), "The city is Oslo.") is False
    assert graders.grade(FIELD("city", "Oslo"), '["Oslo"]') is False
    assert graders.grade(FIELD("city", "Oslo"), "") is False


def test_regex_grader_searches_the_output():
    assert graders.grade(REGEX(r"\bUSD\b"), "Total: 120 USD") is True
    assert graders.grade(REGEX(r"^\d{4}-\d{2}-\d{2}$"), "2024-03-15") is True
    assert graders.grade(REGEX(r"^\d{4}-\d{2}-\d{2}$"), "on 2024-03-15") is False


# --- running a suite against the scripted model ------------------------------------------------


def test_overall_counts_and_pass_rate(report):
    assert (report["total"], report["passed"], report["failed"], report["errored"]) == (14, 8, 5, 1)
    assert report["pass_rate"] == pytest.approx(8 / 14)


def test_per_category_aggregation(report):
    assert report["by_category"] == {
        "extraction": {"total": 4, "passed": 2, "failed": 2, "errored": 0, "pass_rate": pytest.approx(0.5)},
        "classification": {"total": 5, "passed": 3, "failed": 1, "errored": 1, "pass_rate": pytest.approx(0.6)},
        "formatting": {"total": 4, "passed": 2, "failed": 2, "errored": 0, "pass_rate": pytest.approx(0.5)},
        "uncategorized": {"total": 1, "passed": 1, "failed": 0, "errored": 0, "pass_rate": pytest.approx(1.0)},
    }


def test_results_keep_case_order_with_outputs(report):
    assert [r["id"] for r in report["results"]] == [c["id"] for c in SUITE]
    results = by_id(report)
    assert results["ev-c2"]["status"] == "fail"
    assert results["ev-c2"]["output"] == "Bug"
    assert results["ev-f2"]["output"] == "March 15, 2024"
    assert results["ev-u1"]["category"] == "uncategorized"


def test_transient_errors_are_retried(report):
    results = by_id(report)
    assert (results["ev-e4"]["status"], results["ev-e4"]["attempts"]) == ("pass", 2)
    assert (results["ev-c4"]["status"], results["ev-c4"]["attempts"]) == ("pass", 3)
    assert (results["ev-c1"]["status"], results["ev-c1"]["attempts"]) == ("pass", 1)


def test_persistent_errors_are_recorded_after_three_attempts(report):
    c3 = by_id(report)["ev-c3"]
    assert (c3["status"], c3["attempts"], c3["output"]) == ("error", 3, None)
    assert isinstance(c3["error"], str) and "500" in c3["error"]


def test_broken_json_and_missing_text_are_failures_not_errors(report):
    results = by_id(report)
    assert results["ev-e3"]["status"] == "fail"
    assert (results["ev-f4"]["status"], results["ev-f4"]["output"]) == ("fail", "")
    assert results["ev-e2"]["status"] == "fail"


def test_waits_for_retry_after():
    started = time.monotonic()
    single = harness.run_eval([case("EV-R1", "timing", EXACT("ok"))])
    elapsed = time.monotonic() - started
    assert single["results"][0]["status"] == "pass"
    assert single["results"][0]["attempts"] == 2
    assert elapsed >= 0.9, f"retried after {elapsed:.2f}s; the 429 said Retry-After: 1"


def test_sends_the_system_message():
    single = harness.run_eval([case("EV-S1", "chat", EXACT("PONG"), system="ALWAYS ANSWER IN CAPITALS.")])
    assert single["results"][0]["status"] == "pass"


def test_empty_suite():
    assert harness.run_eval([]) == {
        "total": 0,
        "passed": 0,
        "failed": 0,
        "errored": 0,
        "pass_rate": 0.0,
        "by_category": {},
        "results": [],
    }


def test_invalid_grader_raises_value_error():
    bad = [case("EV-C1", "x", EXACT("billing")), case("EV-C5", "x", {"type": "contains", "expected": "b"})]
    with pytest.raises(ValueError):
        harness.run_eval(bad)
