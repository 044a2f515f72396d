"""Tyndau councils package (features arrive with their own issue)."""
