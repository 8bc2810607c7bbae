"""Discount codes at the till: what a code takes off cart lines (`lines`) and how its uses are counted (`usage`)."""
