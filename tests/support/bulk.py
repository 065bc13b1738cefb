"""Bulk rows for scale tests and benchmarks: copies of a template row made by the database itself."""
from __future__ import annotations


def columns_of(connection, table: str) -> list[str]:
    """The table's columns but `id`, in order (PostgreSQL's information schema)."""
    return connection.exec_driver_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
        "ORDER BY ordinal_position", (table,)).scalars().all()


def copy_rows(connection, table: str, template_where: str, count: int, replaced: dict[str, str]) -> None:
    """`count` copies (`INSERT ... SELECT generate_series`) of the row `template_where` selects: every column
    copied, so the rows follow the schema as it grows, except the `replaced` SQL expressions of `g` (1..count)."""
    columns = columns_of(connection, table)
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT "
        + ", ".join(replaced.get(column, column) for column in columns)
        + f" FROM {table}, generate_series(1, {count}) AS g WHERE {template_where}")
