"""Data keys: one random AES-256 key per person, wrapped by the master key, kept apart from the events.

Destroying a person's data key makes every field sealed under it unreadable for good, wherever the
ciphertext went (event store, its dumps and backups), as long as no copy of the key survives: see
the README's backup policy. A wrong master key is an error, never mistaken for an erasure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256, for the master key and every data key
NONCE_BYTES = 12
WRAP_CONTEXT = b"mentorat/data-key/v1/"  # a wrapped key is bound to its person: it cannot be moved to another row
CACHE_SIZE = 10_000


class KeyStoreError(RuntimeError):
    """The key store cannot be used as configured (a wrong master key, a damaged row, a busy key file)."""


class KeyDestroyed(KeyStoreError):
    """This person's data key was destroyed: nothing is ever sealed for them again."""


class MasterKeyError(ValueError):
    """The master key is missing, malformed or exposed."""


class StoredKey(NamedTuple):
    """A key table's row: the wrapped key (None once destroyed) and the id of the master key that wrapped it."""

    wrapped: bytes | None
    master_id: str | None


class KeyTable(Protocol):
    """Where wrapped data keys live: a file of their own (SQLite) or a schema of their own (PostgreSQL)."""

    def find(self, person: UUID) -> StoredKey | None:
        """The person's row, if any."""

    def add(self, person: UUID, wrapped: bytes, master_id: str) -> None:
        """Store a new wrapped key unless the person already has a row (another writer won)."""

    def any_master_id(self) -> str | None:
        """The master-key id of one stored key, if any."""

    def shred(self, person: UUID) -> None:
        """Delete the person's key for good (leaving a tombstone) and purge it from the store's files."""

    def close(self) -> None:
        """Release the connections."""


def decode_master_key(text: str) -> bytes:
    """A master key from its base64 text: exactly 32 bytes."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError("MENTORAT_MASTER_KEY is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"MENTORAT_MASTER_KEY must be the base64 of {KEY_BYTES} bytes")
    return key


def new_master_key() -> str:
    """A fresh master key, as base64 text."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def master_key_file(path: Path) -> bytes:
    """The embedded store's master key: read from its file, generated once (owner-only) if absent."""
    if not path.exists():
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, new_master_key().encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)  # atomic: of two processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        raise MasterKeyError(f"{path} is readable by others: chmod 600 it")
    return decode_master_key(path.read_text())


class Wrapping:
    """AES-GCM key wrap under the master key, with the person's id as associated data."""

    def __init__(self, master: bytes) -> None:
        self._aead = AESGCM(master)
        self._master = master
        self.master_id = hmac.new(master, b"mentorat master key id", hashlib.sha256).hexdigest()[:16]

    def derived_secret(self, purpose: str) -> bytes:
        """HMAC-SHA-256 of the purpose under the master key: a separate secret per purpose."""
        return hmac.new(self._master, b"mentorat derived secret\0" + purpose.encode(), hashlib.sha256).digest()

    def wrap(self, person: UUID, key: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, WRAP_CONTEXT + person.bytes)

    def unwrap(self, person: UUID, wrapped: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], WRAP_CONTEXT + person.bytes)
        except InvalidTag:
            raise KeyStoreError(f"the data key of {person} cannot be unwrapped: damaged row") from None


class KeyRing:
    """Each person's data key: created on first use, unwrapped once and kept at most `ttl` seconds in memory.

    Erasing in this process drops the key from this cache at once; another process (an API server) may
    keep it in memory until its entry expires (`MENTORAT_KEY_CACHE_SECONDS`). It never serves it: every
    reader checks the erasure event first.
    """

    def __init__(self, table: KeyTable, master: bytes, ttl: float = 60.0, size: int = CACHE_SIZE) -> None:
        self.table = table
        self.ttl = ttl
        self.size = size
        self._wrapping = Wrapping(master)
        self._cache: OrderedDict[UUID, tuple[float, AESGCM | None]] = OrderedDict()
        self._lock = threading.Lock()
        found = table.any_master_id()
        if found is not None and found != self._wrapping.master_id:
            raise MasterKeyError("the master key does not match the key store (MENTORAT_MASTER_KEY)")

    def derived_secret(self, purpose: str) -> bytes:
        """A 32-byte secret of this deployment for one purpose, derived from the master key (never stored)."""
        return self._wrapping.derived_secret(purpose)

    def sealer(self, person: UUID) -> AESGCM:
        """The person's key, created if they have none yet; refused once destroyed."""
        aead = self.opener(person)
        if aead is not None:
            return aead
        if self.table.find(person) is not None:
            raise KeyDestroyed(f"the data key of {person} was destroyed")
        self.table.add(person, self._wrapping.wrap(person, AESGCM.generate_key(256)), self._wrapping.master_id)
        self._forget(person)
        aead = self.opener(person)
        if aead is None:
            raise KeyDestroyed(f"the data key of {person} was destroyed")  # erased while being created
        return aead

    def opener(self, person: UUID) -> AESGCM | None:
        """The person's key, or None if destroyed or never created."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(person)
            if cached is not None and cached[0] > now:
                self._cache.move_to_end(person)
                return cached[1]
        row = self.table.find(person)
        if row is None:
            return None  # no key yet: nothing to cache
        aead = None if row.wrapped is None else AESGCM(self._wrapping.unwrap(person, row.wrapped))
        if self.ttl > 0:
            with self._lock:
                self._cache[person] = (now + self.ttl, aead)
                self._cache.move_to_end(person)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return aead

    def destroy(self, person: UUID) -> None:
        """Crypto-shred: delete the person's key from the key store and from this process's memory."""
        self._forget(person)
        self.table.shred(person)
        self._forget(person)

    def _forget(self, person: UUID) -> None:
        with self._lock:
            self._cache.pop(person, None)

    def close(self) -> None:
        """Drop the cache and release the key table."""
        with self._lock:
            self._cache.clear()
        self.table.close()
