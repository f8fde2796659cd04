"""Visible tests: pytest -q test_visible.py (more tests run when you submit)."""

import json

from rag import answer_question, rank_snippets

with open("data/handbook.json") as f:
    HANDBOOK = json.load(f)


def test_ranks_the_refund_snippet_first():
    ranked = rank_snippets("How many days until approved refunds are issued?", HANDBOOK)
    assert ranked[0]["id"] == "kb-103"


def test_answers_with_a_citation():
    result = answer_question("How many days until approved refunds are issued?", HANDBOOK)
    assert "14 days" in result["answer"]
    assert result["cited_ids"] == ["kb-103"]
