# Wrong on purpose: maps [Sn] to the n-th snippet given, not the n-th snippet in the prompt.
"""Answers customer questions from help-center snippets, with citations (ticket DOCS-88)."""

import os
import re

import requests

MODEL = "mock-small"
NO_ANSWER = "I don't know."
REQUEST_TIMEOUT_SECONDS = 30

# Words too common to say anything about relevance. Ignore them when scoring.
STOPWORDS = frozenset(
    """a about after all also am an and any are as at be been before but by can could did do does
    for from had has have how i if in into is it its me my no not of on or our so than that the
    their them then there these they this to too up us was we were what when where which who why
    will with would you your""".split()
)

SYSTEM_PROMPT = (
    "You answer customer questions for Acme Cloud using only the numbered sources you are given. "
    "Cite the source of every statement with its label in square brackets, like [S1] or [S1, S2]. "
    f'If the sources do not contain the answer, reply "{NO_ANSWER}" and cite nothing.'
)

# [S3], and groups such as [S1, S3] or [S1; S3].
_CITATION_GROUP = re.compile(r"\[\s*(S\d+(?:\s*[,;]\s*S\d+)*)\s*\]")


class AnswerError(Exception):
    """The model could not be asked (HTTP error, bad response). Never return a made-up answer instead."""


def tokenize(text):
    """Lowercase word tokens (letters and digits), e.g. "Two-factor auth!" -> ["two", "factor", "auth"]."""
    return re.findall(r"[a-z0-9]+", text.lower())


def _terms(text):
    return {t for t in tokenize(text) if t not in STOPWORDS}


def rank_snippets(question, snippets, k=3):
    """The k snippets most relevant to the question, best first.

    Score = how many distinct content words of the question occur in the snippet. Snippets that
    share none are dropped; ties keep the input order (sorted() is stable).
    """
    wanted = _terms(question)
    scored = [(len(wanted & _terms(s["text"])), s) for s in snippets]
    ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: -pair[0])
    return [s for _, s in ranked[:k]]


def build_messages(question, ranked):
    """Chat messages asking the model to answer from the ranked snippets, labelled [S1], [S2], ..."""
    sources = "\n".join(f"[S{n}] {' '.join(s['text'].split())}" for n, s in enumerate(ranked, start=1))
    user = f"Sources:\n{sources}\n\nQuestion: {question.strip()}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def cited_labels(answer):
    """Labels like "S2" in order of first citation, without duplicates."""
    labels = []
    for group in _CITATION_GROUP.findall(answer):
        for label in re.split(r"\s*[,;]\s*", group):
            if label not in labels:
                labels.append(label)
    return labels


def _chat(messages):
    base = os.environ["OPENAI_BASE_URL"].rstrip("/")
    try:
        response = requests.post(
            f"{base}/chat/completions",
            headers={"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"},
            json={"model": MODEL, "messages": messages, "temperature": 0},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise AnswerError(f"could not reach the model: {error}") from error
    if response.status_code != 200:
        raise AnswerError(f"the model API answered {response.status_code}: {response.text[:200]}")
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise AnswerError(f"unexpected response from the model API: {error}") from error
    if not isinstance(content, str):
        raise AnswerError("the model returned no text")
    return content.strip()


def answer_question(question, snippets, k=3):
    """Returns {"answer": str, "cited_ids": [snippet ids the answer cites]}."""
    ranked = rank_snippets(question, snippets, k)
    if not ranked:
        return {"answer": NO_ANSWER, "cited_ids": []}
    answer = _chat(build_messages(question, ranked))
    by_label = {f"S{n}": s["id"] for n, s in enumerate(snippets, start=1)}
    cited = [by_label[label] for label in cited_labels(answer) if label in by_label]
    return {"answer": answer, "cited_ids": cited}
