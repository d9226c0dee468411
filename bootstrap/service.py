"""Building the write side from settings: the store's environment, the data keys and the service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from application.access_index_build import build_access_index, build_address_index, build_names
from application.mentorat import Mentorat
from application.ports import Ports
from application.service import MentoratService
from bootstrap.settings import Settings
from bootstrap.store_env import KEYS_FILE, MASTER_KEY_FILE, ConfigurationError, key_schema, store_env
from infrastructure.data_key_tables import PostgresKeyTable, SQLiteKeyTable
from infrastructure.data_keys import KeyRing, KeyTable, MasterKeyError, decode_master_key, master_key_file
from infrastructure.encrypted_store import EncryptedMentorat
from infrastructure.idempotency_claims import KeyedRecords, deployment_secret
from infrastructure.idempotency_ledger import IdempotencyLedger
from infrastructure.postgres import connect_args, ensure_schema, startup_lock


def open_key_ring(settings: Settings, env: Mapping[str, str]) -> KeyRing:
    """The data keys: a file of their own beside the embedded store, or a schema of their own on PostgreSQL."""
    try:
        if settings.master_key is not None:
            master = decode_master_key(settings.master_key.get_secret_value())
        elif settings.uses_postgres:
            raise MasterKeyError("MENTORAT_MASTER_KEY is required with PostgreSQL (base64 of 32 random bytes)")
        else:
            master = master_key_file(settings.data_dir / MASTER_KEY_FILE)
        table: KeyTable = (
            PostgresKeyTable(connect_args(env), key_schema(settings), settings.pool_timeout_seconds)
            if settings.uses_postgres
            else SQLiteKeyTable(settings.data_dir / KEYS_FILE)
        )
        try:
            return KeyRing(table, master, settings.key_cache_seconds)
        except BaseException:
            table.close()
            raise
    except MasterKeyError as error:
        raise ConfigurationError(str(error)) from None


def build_service(settings: Settings, ports: Ports | None = None, *, with_keys: bool = True) -> MentoratService:
    """The write side over the configured store (connects now: call it at start-up, never at import).

    Without keys (the projector, a rebuild) no master key is needed: sealed fields read as `Sealed` values,
    and a command storing a confidential text is refused.
    """
    ports = ports or Ports(
        invitation_ttl=timedelta(days=settings.invitation_ttl_days),
        token_ttl=timedelta(days=settings.token_ttl_days),
    )
    env = store_env(settings)
    ensure_schema(env)
    with startup_lock(env):
        if not with_keys:
            store: Mentorat = Mentorat(env=env)
        else:
            keys = open_key_ring(settings, env)
            try:
                store = EncryptedMentorat(env=env, keys=keys)
            except BaseException:
                keys.close()
                raise
        try:
            build_access_index(store, ports.clock())  # once, for a store older than the index
            build_address_index(store, ports.clock())  # once, by the first process with keys
            build_names(store, ports.clock())  # the sealed names table: once, by the first process with keys
        except BaseException:
            store.close()
            raise
    return MentoratService(store, ports)


def build_idempotency_records(service: MentoratService, settings: Settings) -> KeyedRecords:
    """The API's idempotency records: in the store's own ledger, keyed by a secret derived from the master key."""
    ledger = service.store.recorder
    if not isinstance(ledger, IdempotencyLedger):
        raise TypeError("the store's recorder keeps no idempotency records (APPLICATION_RECORDER_TOPIC)")
    secret = deployment_secret(service.store)
    lease, hours = settings.idempotency_lease_seconds, settings.idempotency_hours
    return KeyedRecords(ledger, secret, service.ports.clock, lease, hours)
