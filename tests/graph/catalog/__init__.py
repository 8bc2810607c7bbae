"""Tests of `graph/catalog/`, through the public GraphQL API."""
