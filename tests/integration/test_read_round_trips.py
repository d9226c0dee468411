"""A read model's query on PostgreSQL is one statement on an autocommit connection, not a transaction."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from projections.views import ReadView
from tests.conftest import postgres_url

pytestmark = pytest.mark.postgres


def test_queries_skip_the_transaction(pg_schema: str, tmp_path: Any, monkeypatch: Any) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=postgres_url(), database_schema=pg_schema)
    service = build_service(settings)
    read_side = ReadSide(service.store, settings)
    try:
        read_side.catch_up()

        def in_a_transaction(*args: Any) -> Any:
            raise AssertionError("a query opened a transaction (BEGIN, SET LOCAL, ROLLBACK: three more round trips)")

        monkeypatch.setattr(ReadView, "query", in_a_transaction)
        assert read_side.positions() == {name: read_side.views[name].position() for name in read_side.views}
        connection_options = read_side.view("summary").datastore.pool.kwargs["options"]
        assert f"search_path={pg_schema}" in connection_options.split()
    finally:
        read_side.close()
        service.close()


def test_read_model_statements_are_planned_serially(pg_schema: str, tmp_path: Any) -> None:
    """A parallel plan's worker launch cost more than the indexed aggregates it would share (the report's)."""
    settings = Settings(data_dir=tmp_path / "var", database_url=postgres_url(), database_schema=pg_schema)
    service = build_service(settings)
    read_side = ReadSide(service.store, settings)
    try:
        with read_side.view("report").datastore.get_connection() as conn:
            assert conn.execute("SHOW max_parallel_workers_per_gather").fetchone() == {
                "max_parallel_workers_per_gather": "0"
            }
    finally:
        read_side.close()
        service.close()
