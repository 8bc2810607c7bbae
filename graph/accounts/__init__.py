"""Who uses the shop, in the schema: customer accounts, sign-in and `me`
(`customers`), and the API keys staff manage (`api_keys`)."""

__all__ = ["api_keys", "customers"]
