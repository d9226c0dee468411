"""Tamper evidence: the hash chain written with the events, signed checkpoints, verification and export."""
