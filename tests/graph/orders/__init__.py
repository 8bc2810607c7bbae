"""Tests of `graph/orders/`, through the public GraphQL API."""
