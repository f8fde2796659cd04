"""Runs an eval suite against the chat API and aggregates the results (ticket EVAL-21).

One flaky call must not sink a whole run: transient failures (429, 5xx, network errors) are
retried up to `max_attempts` times, and a case that still fails is recorded as "error" so a model
that is wrong ("fail") can be told apart from an API that is down ("error").
"""

import os
import time

import requests

from graders import check_grader, grade

DEFAULT_MODEL = "mock-small"
REQUEST_TIMEOUT_SECONDS = 30
MAX_RETRY_AFTER_SECONDS = 30
BACKOFF_SECONDS = 0.25  # doubles per attempt when the server gives no Retry-After


class _TransientError(Exception):
    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class _PermanentError(Exception):
    pass


def run_eval(cases, model=DEFAULT_MODEL, max_attempts=3, sleep=time.sleep):
    """Runs every case once and returns the report described in the ticket."""
    for c in cases:  # a typo in the suite should cost nothing, not a half-finished run
        try:
            check_grader(c.get("grader"))
        except ValueError as error:
            raise ValueError(f"case {c.get('id')!r}: {error}") from error
    results = [_run_case(c, model, max_attempts, sleep) for c in cases]
    by_category = {}
    for r in results:
        by_category.setdefault(r["category"], []).append(r)
    summary = _summarize(results)
    summary["by_category"] = {category: _summarize(rs) for category, rs in by_category.items()}
    summary["results"] = results
    return summary


def _summarize(results):
    count = lambda status: sum(1 for r in results if r["status"] == status)  # noqa: E731
    total, passed = len(results), count("pass")
    return {
        "total": total,
        "passed": passed,
        "failed": count("fail"),
        "errored": count("error"),
        "pass_rate": passed / total if total else 0.0,
    }


def _run_case(case, model, max_attempts, sleep):
    messages = [{"role": "user", "content": case["input"]}]
    if case.get("system"):
        messages.insert(0, {"role": "system", "content": case["system"]})
    result = {
        "id": case["id"],
        "category": case.get("category") or "uncategorized",
        "status": "error",
        "output": None,
        "attempts": 0,
        "error": None,
    }
    for attempt in range(1, max_attempts + 1):
        result["attempts"] = attempt
        try:
            output = _chat(messages, case.get("model", model))
        except _PermanentError as error:
            result["error"] = str(error)
            return result
        except _TransientError as error:
            result["error"] = str(error)
            if attempt < max_attempts:
                delay = error.retry_after if error.retry_after is not None else BACKOFF_SECONDS * 2 ** (attempt - 1)
                sleep(min(delay, MAX_RETRY_AFTER_SECONDS))
            continue
        result.update(output=output, error=None, status="pass" if grade(case["grader"], output) else "fail")
        return result
    return result


def _chat(messages, model):
    """The reply text ("" for a reply without text, e.g. a tool call)."""
    base = os.environ["OPENAI_BASE_URL"].rstrip("/")
    try:
        response = requests.post(
            f"{base}/chat/completions",
            headers={"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"},
            json={"model": model, "messages": messages, "temperature": 0},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise _TransientError(f"request failed: {error}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise _TransientError(f"HTTP {response.status_code}: {response.text[:200]}", _retry_after(response))
    if response.status_code != 200:
        raise _PermanentError(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        content = response.json()["choices"][0]["message"].get("content")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise _PermanentError(f"unexpected response body: {error}") from error
    return content if isinstance(content, str) else ""


def _retry_after(response):
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
