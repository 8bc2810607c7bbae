"""Tests of `commerce/outbound/`."""
