"""HTTP routers, one per resource; they hold no try/except (errors are mapped in api.problems)."""
