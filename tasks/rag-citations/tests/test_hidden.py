"""Hidden tests for rag-citations.

Each end-to-end question carries a unique "(ref Z…)" marker that llm/mock.yaml scripts. The mock
answers a question well only when the prompt labels the right snippet as [S1] (or [S2]), so a wrong
ranking or prompt format shows up as a wrong answer or wrong citations.
"""

import pytest
from worksample_harness import subject

# The candidate's rag.py runs in the subject process; calls cross the bridge.
rag = subject("rag")

KB = {
    "kb-101": "Annual plans are billed upfront for twelve months; monthly plans are billed on the first day of each month.",
    "kb-102": "Refund requests must be filed from the billing page by an account owner.",
    "kb-103": "Approved refunds are issued to the original payment method\nwithin 14 days.",
    "kb-104": "You can switch between monthly and annual plans at any time; the change applies at the next billing date.",
    "kb-105": "Two-factor authentication can be enforced for every member of an organization from the security settings.",
    "kb-106": "Data exports are available as CSV or JSON and are kept for 7 days before they expire.",
}


def snippets(*ids):
    return [{"id": i, "text": KB[i]} for i in ids]


def ids(ranked):
    return [s["id"] for s in ranked]


# --- ranking -----------------------------------------------------------------------------------


def test_rank_orders_by_shared_terms_and_drops_unrelated():
    ranked = rag.rank_snippets("annual plans billed upfront", snippets("kb-104", "kb-106", "kb-101"))
    assert ids(ranked) == ["kb-101", "kb-104"]


def test_rank_ignores_case_punctuation_and_stopwords():
    docs = [{"id": "a", "text": "The office is closed. What a day!"}, {"id": "b", "text": "REFUND policy: 30 days."}]
    assert ids(rag.rank_snippets("What is the refund policy?", docs)) == ["b"]


def test_rank_keeps_input_order_for_ties():
    docs = [{"id": "x", "text": "Invoice sent."}, {"id": "y", "text": "invoice resent"}, {"id": "z", "text": "nothing"}]
    assert ids(rag.rank_snippets("invoice", docs)) == ["x", "y"]


def test_rank_returns_at_most_k():
    docs = [{"id": f"d{i}", "text": "billing " * (i + 1)} for i in range(6)]
    assert len(rag.rank_snippets("billing", docs, k=2)) == 2
    assert len(rag.rank_snippets("billing", docs)) == 3


# --- answering through the model ---------------------------------------------------------------


def test_answer_cites_the_best_snippet():
    result = rag.answer_question(
        "How many days until approved refunds are issued? (ref ZQ31R)",
        snippets("kb-101", "kb-102", "kb-104", "kb-103", "kb-106"),
    )
    assert result == {
        "answer": "Approved refunds reach the original payment method within 14 days [S1].",
        "cited_ids": ["kb-103"],
    }


def test_maps_labels_to_snippet_ids_in_citation_order():
    result = rag.answer_question(
        "Are annual plans billed upfront for twelve months? Can I switch plans? (ref ZM52K)",
        snippets("kb-106", "kb-104", "kb-105", "kb-101", "kb-102"),
    )
    assert result["cited_ids"] == ["kb-104", "kb-101"]
    assert "next billing date" in result["answer"]


def test_ignores_citations_of_sources_that_were_not_given():
    result = rag.answer_question("How long are data exports kept? (ref ZE88P)", snippets("kb-101", "kb-106", "kb-105"))
    assert result["cited_ids"] == ["kb-106"]
    assert "7 days" in result["answer"]


def test_no_citations_when_the_model_does_not_know():
    result = rag.answer_question(
        "Is there a discount on annual plans for nonprofits? (ref ZU40N)",
        snippets("kb-101", "kb-104", "kb-106"),
    )
    assert result == {"answer": "I don't know: the sources do not mention nonprofit discounts.", "cited_ids": []}


def test_no_relevant_snippets_answers_without_the_model():
    # The scripted model would make something up (with a citation) if it were asked.
    result = rag.answer_question("Which regions host the Frankfurt datacenter? (ref ZN11C)", snippets(*KB))
    assert result == {"answer": rag.NO_ANSWER, "cited_ids": []}


def test_only_the_top_k_snippets_go_into_the_prompt():
    result = rag.answer_question(
        "Can every member of the organization use two-factor authentication, and can an account owner export data as CSV? (ref ZK27T)",
        snippets("kb-106", "kb-102", "kb-105", "kb-103"),
        k=2,
    )
    assert result["cited_ids"] == ["kb-105"]


def test_api_errors_raise_answer_error():
    with pytest.raises(rag.AnswerError):
        rag.answer_question("When are approved refunds issued? (ref ZS50X)", snippets("kb-103", "kb-102"))
