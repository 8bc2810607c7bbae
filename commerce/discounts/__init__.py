"""Discount codes at the till: what a code takes off cart lines (`lines`, pure
arithmetic) and how its uses are counted, once per customer where it says so
(`usage`). The staff make codes in `commerce.shop_rules.discount_codes`."""

__all__ = [
    "lines", "usage",
]
