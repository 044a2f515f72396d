"""Accounts: registration, verification, sign-in, profile, IIN, home territory, roles."""
