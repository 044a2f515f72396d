"""Tyndau core: the platform every feature package stands on."""
