"""The checkpoints' Ed25519 signing key as PEM files: generated once (owner-only), read, its public half exported.

Which file holds it is the settings' business (`bootstrap/audit.py`). Verifying never needs the private key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "audit-signing-key.pem"


class MissingKey(RuntimeError):
    """No signing key is configured or found."""


class ExposedKey(MissingKey):
    """A key file that its group or others can read: refused, as `master.key` is (treated as no key)."""


def read_signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key in a PEM file; `ExposedKey` when group or others may read it (mode & 0o077)."""
    if path.stat().st_mode & 0o077:
        raise ExposedKey(f"{path} is readable by others: chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingKey(f"{path} does not hold an Ed25519 private key")
    return key


def public_path(private: Path) -> Path:
    """The public key's file, beside the private key's."""
    return private.with_name(private.stem + ".pub.pem")


def generate(path: Path) -> None:
    """Write a new key (owner-only) and its public half; a key another process wrote first wins."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    try:
        os.link(draft, path)  # atomic, and never over an existing key
    except FileExistsError:
        return
    finally:
        draft.unlink()
    with os.fdopen(os.open(public_path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as public:
        public.write(public_pem(key.public_key()))  # owner-only like every file of the data directory


def public_pem(key: Ed25519PublicKey) -> bytes:
    """A public key as PEM."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from its PEM file."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """A public key's SHA-256 fingerprint (hex), named in each checkpoint."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()
