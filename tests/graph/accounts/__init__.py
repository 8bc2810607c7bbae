"""Tests of `graph/accounts/`, through the public GraphQL API."""
