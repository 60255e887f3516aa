"""Counts in words, as the product's messages say them."""


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 deal', '2,500 deals'; `many` for a word whose plural is not word + s."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
