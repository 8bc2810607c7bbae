"""Tests of `commerce/orders/`."""
