"""Demo: python3 main.py [cases.json] -- runs the suite, prints a summary, writes report.json."""

import json
import sys

from harness import run_eval

path = sys.argv[1] if len(sys.argv) > 1 else "cases.json"
with open(path) as f:
    cases = json.load(f)

report = run_eval(cases)
for r in report["results"]:
    print(f"{r['status']:5}  {r['id']:14} attempts={r['attempts']}  {(r['output'] or r['error'] or '')[:60]!r}")
print()
for category, s in sorted(report["by_category"].items()):
    print(f"{category:14} {s['passed']}/{s['total']} passed, {s['errored']} errored  ({s['pass_rate']:.0%})")
print(f"{'overall':14} {report['passed']}/{report['total']} passed, {report['errored']} errored  ({report['pass_rate']:.0%})")
with open("report.json", "w") as f:
    json.dump(report, f, indent=2)
