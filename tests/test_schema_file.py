from pathlib import Path

from graph.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_graphql_equals_the_code():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    exported = schema.as_str() + "\n"
    assert committed == exported, "schema.graphql is stale: run `shopgraph export-schema > schema.graphql`"
