"""Tests of `graph/checkout/`, through the public GraphQL API."""
