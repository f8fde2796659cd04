"""Answers customer questions from help-center snippets, with citations (ticket DOCS-88)."""

import re

MODEL = "mock-small"
NO_ANSWER = "I don't know."

# Words too common to say anything about relevance. Ignore them when scoring.
STOPWORDS = frozenset(
    """a about after all also am an and any are as at be been before but by can could did do does
    for from had has have how i if in into is it its me my no not of on or our so than that the
    their them then there these they this to too up us was we were what when where which who why
    will with would you your""".split()
)


class AnswerError(Exception):
    """The model could not be asked (HTTP error, bad response). Never return a made-up answer instead."""


def tokenize(text):
    """Lowercase word tokens (letters and digits), e.g. "Two-factor auth!" -> ["two", "factor", "auth"]."""
    return re.findall(r"[a-z0-9]+", text.lower())


def rank_snippets(question, snippets, k=3):
    """The k snippets most relevant to the question, best first (see the ticket for the rules)."""
    raise NotImplementedError


def build_messages(question, ranked):
    """Chat messages asking the model to answer from the ranked snippets, labelled [S1], [S2], ..."""
    raise NotImplementedError


def answer_question(question, snippets, k=3):
    """Returns {"answer": str, "cited_ids": [snippet ids the answer cites]}."""
    raise NotImplementedError
