"""Authorities (akimats, maslikhats, ministries, Government, National Kurultai) and the escalation ladder."""
