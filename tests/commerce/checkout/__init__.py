"""Tests of `commerce/checkout/`."""
