"""Who uses the shop, in the schema: customer accounts, sign-in and `me`
(`customers`), the buyer's wallet of saved addresses (`wallet`) and saved cards
(`wallet_cards`), and the API keys staff manage (`api_keys`)."""

__all__ = ["api_keys", "customers", "wallet", "wallet_cards"]
