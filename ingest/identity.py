"""Chinese resident identity numbers (GB 11643-1999): check digit, sex and birth date."""

from __future__ import annotations

# Weights of the first 17 digits, and the check character for (weighted sum mod 11).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


# An 18-character resident ID standing alone (not inside a longer token such as a hex digest):
# group 2 is the ID, groups 1 and 5 what stands around it.
CLEAR_ID_PATTERN = r"(^|[^0-9A-Za-z])([1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])[0-3][0-9][0-9]{3}[0-9Xx])([^0-9A-Za-z]|$)"
# What a resident ID found in free text (a department name, a shifted row's code) becomes before
# anything is written: the night goes on, and no clear ID reaches the lake or the quarantine.
ID_MASK = "[身份证号已遮蔽 resident ID masked]"


def mask_ids_sql(expression: str) -> str:
    """SQL masking every resident-ID-shaped token of a text expression. Applied twice: one
    pass takes the character between two adjacent IDs as the first one's boundary, so the
    second ID is only found by the second pass. A cheap pre-test skips text with no 17-digit run."""
    masked = expression
    for _ in range(2):
        masked = f"regexp_replace({masked}, '{CLEAR_ID_PATTERN}', '\\1{ID_MASK}\\5', 'g')"
    return (
        f"CASE WHEN regexp_matches({expression}, '[0-9]{{17}}') THEN {masked} ELSE {expression} END"
    )


def check_char_matches_sql(expression: str) -> str:
    """SQL, true when the 18-character upper-case `expression` ends in the check character of
    its first 17 digits (vectorised: the weighted digit sum, mod 11, into CHECK_CHARS)."""
    total = " + ".join(
        f"try_cast(substr({expression}, {i + 1}, 1) AS INTEGER) * {w}"
        for i, w in enumerate(WEIGHTS)
    )
    return f"substr('{CHECK_CHARS}', (({total}) % 11) + 1, 1) = substr({expression}, 18, 1)"


def check_char(first17: str) -> str:
    """The 18th character of a resident ID whose first 17 digits are given."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def is_valid_id(value: str) -> bool:
    """18 characters, 17 digits then a correct check character (birth date not judged here)."""
    return len(value) == 18 and value[:17].isdigit() and value[17].upper() == check_char(value[:17])
