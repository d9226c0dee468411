"""Outgoing mail: composing a participant's message, the transports (SMTP, a directory), the delivery worker."""
