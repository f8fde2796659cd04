"""Demo: python3 main.py "your question" (uses data/handbook.json)."""

import json
import sys

from rag import answer_question, rank_snippets

question = " ".join(sys.argv[1:]) or "How many days until approved refunds are issued?"
with open("data/handbook.json") as f:
    snippets = json.load(f)

print("question:", question)
for s in rank_snippets(question, snippets):
    print("  ranked:", s["id"], s["text"][:70].replace("\n", " "))
print(json.dumps(answer_question(question, snippets), indent=2))
