"""Tyndau petitions package (features arrive with their own issue)."""
