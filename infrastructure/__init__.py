"""Adapters: recorders, field mapper and key store, audit chain, PostgreSQL helpers; never bootstrap/, api/, cli/."""
