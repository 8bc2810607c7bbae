"""Buying: carts (`carts`), prices of cart lines (`pricing`) and the checkout saga (`saga`)."""
