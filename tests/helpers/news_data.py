"""Made-up rows of the project's own in the AG News CSV layout (tests never need ../shared)."""

from __future__ import annotations

from pathlib import Path

TOPICS = {
    "World": "minister election embassy treaty rebels parliament ceasefire summit refugees border",
    "Sports": "coach season striker playoff tournament goalkeeper champions league inning medal",
    "Business": "shares profit merger investors earnings quarterly retailer dividend bank stocks",
    "Sci/Tech": "software internet chip browser satellite researchers wireless linux genome laptop",
}
FILLER = ["the", "a", "of", "in", "on", "for", "says", "new", "after", "over", "with", "report"]


def news_rows(count: int, seed: int) -> list[tuple[int, str, str]]:
    """Made-up rows in the AG News shape: (class index 1..4, title, description)."""
    import random

    rng = random.Random(seed)
    topics = [words.split() for words in TOPICS.values()]
    rows = []
    for number in range(count):
        index = number % len(topics) + 1
        words = topics[index - 1]

        def phrase(length: int, words: list[str] = words) -> str:
            return " ".join(
                rng.choice(words if rng.random() < 0.6 else FILLER) for _ in range(length)
            )

        rows.append(
            (index, phrase(rng.randint(3, 6)).capitalize(), phrase(rng.randint(4, 25)) + ".")
        )
    return rows


def write_news_csv(path: Path, rows: list[tuple[int, str, str]]) -> None:
    def quoted(field: object) -> str:
        return '"' + str(field).replace('"', '""') + '"'

    path.write_text("".join(",".join(map(quoted, row)) + "\n" for row in rows), encoding="utf-8")
