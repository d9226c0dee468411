"""The keyed blind index of e-mail addresses: how a sign-in request finds its participants without storing an address.

A participant's address is stored only sealed under their own data key (the events). To find who holds an address,
the index keeps an HMAC-SHA-256 of the normalised address (trimmed, lower-cased) under a secret derived from the
master key: whoever reads the table without that key cannot test a guessed address against it. Written with `hmac`
from the standard library, as the credential ids are (`application/credentials.py`): it is all this needs.
"""

from __future__ import annotations

import hashlib
import hmac

ADDRESS_PURPOSE = "address index"


def normalised(address: str) -> str:
    """One spelling per mailbox as people type it: no surrounding white space, lower case."""
    return address.strip().lower()


class AddressKeys:
    """The keyed one-way function naming an address in the index."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def key_of(self, address: str) -> str:
        """The index key of an address (hex): the same for every spelling `normalised` merges."""
        text = b"address\0" + normalised(address).encode("utf-8")
        return hmac.new(self._secret, text, hashlib.sha256).hexdigest()
