"""What FerretDB really ran in PostgreSQL for one MongoDB database, from pg_stat_statements.

A statement that read a table whole touches about as many blocks per row as the table has pages;
a keyed one touches a handful (index pages and the row's page). docs/store.md explains the check.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from tests.support.infra import local_servers

_SEP = "\x1f"


@dataclass(frozen=True)
class Statement:
    query: str
    calls: int
    rows: int
    blocks: int
    table: str

    @property
    def blocks_per_row(self) -> float:
        return self.blocks / max(self.rows, self.calls, 1)

    @property
    def rows_per_call(self) -> float:
        return self.rows / max(self.calls, 1)


class SqlProbe:
    def __init__(self, pg_url: str, schema: str):
        self.pg_url = pg_url
        self.schema = schema  # FerretDB keeps a MongoDB database as a PostgreSQL schema of that name
        self.psql = local_servers().pg_bin("psql")

    def _rows(self, sql: str) -> list[list[str]]:
        out = subprocess.run([self.psql, "-X", "-q", "-At", "-F", _SEP, "-v", "ON_ERROR_STOP=1", self.pg_url,
                              "-c", sql], check=True, capture_output=True, text=True).stdout
        return [line.split(_SEP) for line in out.splitlines() if line]

    def reset(self) -> None:
        self._rows("SELECT pg_stat_statements_reset()")

    def statements(self) -> list[Statement]:
        """Statements on this schema's tables since the last reset (inserts too, DDL excluded)."""
        found = []
        pattern = re.compile(rf'"{re.escape(self.schema)}"\."([^"]+)"')
        for query, calls, rows, blocks in self._rows(
                "SELECT query, calls, rows, shared_blks_hit + shared_blks_read FROM pg_stat_statements "
                f"WHERE query LIKE '%\"{self.schema}\".%' AND query !~* '^\\s*(CREATE|DROP|ALTER)'"):
            table = pattern.search(query)
            if table and not table.group(1).startswith("_ferretdb_"):
                found.append(Statement(query, int(calls), int(rows), int(blocks), table.group(1)))
        return found

    def sizes(self) -> dict[str, tuple[int, int]]:
        """table -> (rows, pages) for every table of the schema, FerretDB's own excepted."""
        return {table: (int(rows), int(pages)) for table, rows, pages in self._rows(
            "SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
            "n.nspname, c.relname), false, true, '')))[1]::text, pg_table_size(c.oid) / 8192 "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = '{self.schema}' AND c.relkind = 'r' AND c.relname NOT LIKE '\\_ferretdb\\_%'")}
