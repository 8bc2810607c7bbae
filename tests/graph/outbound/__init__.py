"""Tests of `graph/outbound/`, through the public GraphQL API."""
