"""Accuracy of the trend analysis system's offline sentiment (snownlp for Chinese, VADER for
English) on a small hand-labelled set (test/benchmark/sentiment/labelled.jsonl: 25 Chinese and 25
English sentences, positive / negative / neutral, written for this benchmark).

Prints accuracy per language and overall, accuracy on the polar sentences alone, and the
confusion counts (label → predicted).

Run from the repository root:
    .venv/bin/python -m test.benchmark.trends_sentiment
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

from internal.aistack.trends.sentiment import offline_sentiment

LABELLED = Path(__file__).parent / "sentiment" / "labelled.jsonl"


def main() -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals, correct, polar_totals, polar_correct = Counter(), Counter(), Counter(), Counter()
    confusion: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        found = offline_sentiment(row["text"])
        hit = found.sentiment == row["label"]
        for key in (found.language, "all"):
            totals[key] += 1
            correct[key] += hit
            if row["label"] != "neutral":
                polar_totals[key] += 1
                polar_correct[key] += hit
        confusion[f"{found.language} {row['label']}"][found.sentiment] += 1
    print(f"{'':6}{'accuracy':>10}{'polar only':>12}{'n':>5}")
    for key in ("zh", "en", "all"):
        print(f"{key:6}{correct[key] / totals[key]:>10.2%}{polar_correct[key] / polar_totals[key]:>12.2%}{totals[key]:>5}")
    print("\nconfusion (language label → predicted):")
    for key in sorted(confusion):
        print(f"  {key:14} {dict(confusion[key])}")


if __name__ == "__main__":
    main()
