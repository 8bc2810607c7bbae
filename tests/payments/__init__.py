"""Tests of the payment gateway against localstripe, over real HTTP."""
