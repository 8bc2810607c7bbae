"""The Strawberry schema: one module per domain, assembled in `graph.schema`."""
