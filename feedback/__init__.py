"""Tyndau feedback package (features arrive with their own issue)."""
