"""SQL text for the few places a value must be written into a statement rather than bound: a
table function's file list inside a view, a CASE over the contract's codes. Every literal goes
through `sql_literal`, so a quote in a path or a code can never end the string."""

from __future__ import annotations

from collections.abc import Iterable

from ingest.contract import DATE_FORMATS


def sql_literal(value: object) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_ident(name: object) -> str:
    """A quoted SQL identifier (quotes doubled): a table or column name as data."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_list(values: Iterable[object]) -> str:
    """`['a', 'b']`: a DuckDB list of string literals (a file list for read_parquet)."""
    return "[" + ", ".join(sql_literal(v) for v in values) + "]"


def sql_in(values: Iterable[object]) -> str:
    """`('a', 'b')`: the right-hand side of an IN."""
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def sql_try_date(column: str) -> str:
    """The column as a DATE in any of the contract's date formats, NULL when it is none."""
    return f"try_strptime({column}, {sql_list(DATE_FORMATS)})::DATE"


def sql_case(column: str, lookup: dict[str, str], otherwise: str = "NULL") -> str:
    """`CASE column WHEN key THEN value ... ELSE otherwise END`: a code table as SQL."""
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in lookup.items())
    return f"CASE {column} {whens} ELSE {otherwise} END"
