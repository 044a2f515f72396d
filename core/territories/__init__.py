"""Territories: the KATO classifier as a tree (region → district → rural district/town → settlement)."""
