"""The simulated programme and its self-check (outside the production packages: nothing imports it but the CLI)."""
