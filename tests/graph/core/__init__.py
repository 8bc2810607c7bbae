"""Tests of `graph/core/`, through the public GraphQL API."""
