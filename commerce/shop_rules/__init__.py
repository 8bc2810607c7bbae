"""The rules the staff set for the shop (`shop:write`): shipping zones (`zones`), tax rates (`tax_rates`) and the checks their input shares (`checks`)."""
