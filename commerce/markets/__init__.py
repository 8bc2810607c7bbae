"""Markets and prices per currency (DESIGN §13): `markets` (which market serves a country, staff changes),
`prices` (a variant's price in a market, in Python and in SQL), `variant_prices` (explicit prices)."""
