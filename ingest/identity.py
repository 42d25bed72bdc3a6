"""Chinese resident identity numbers (GB 11643-1999): check digit, sex and birth date."""

from __future__ import annotations

# Weights of the first 17 digits, and the check character for (weighted sum mod 11).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_char(first17: str) -> str:
    """The 18th character of a resident ID whose first 17 digits are given."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def is_valid_id(value: str) -> bool:
    """18 characters, 17 digits then a correct check character (birth date not judged here)."""
    return len(value) == 18 and value[:17].isdigit() and value[17].upper() == check_char(value[:17])
