"""The library's own mapper and transcoder test cases (`eventsourcing.tests.persistence`), run against ours.

`InfrastructureFactoryTestCase.test_mapper*` build the mapper from the environment, as our stores do: here
`MAPPER_TOPIC` names `FieldMapper`, so every one of them (plain, compressed, ciphered, ciphered and compressed,
a wrong cipher key refused) runs against it. `TranscoderTestCase` runs against the JSON transcoder our mapper
registers its `sealed` transcoding on. What does not apply is skipped with its reason:

- the factory's `test_create_*_recorder` cases test the library's SQLite factory and recorders, which our mapper
  does not touch (our recorders run the library's recorder cases in test_recorders_library.py);
- six transcoder cases (tuples, str/int/list/dict subclasses) fail on the library's own `JSONTranscoder` too:
  they are written for its typed transcoders, and our events hold none of those types;
- the library ships no test case for a mapper over per-person keys: tests/unit/test_field_mapper.py covers that.
"""

from __future__ import annotations

from typing import Any
from unittest import skip
from uuid import uuid4

from eventsourcing.cipher import AESCipher
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    ProcessRecorder,
    TrackingRecorder,
    Transcoder,
    UUIDAsHex,
)
from eventsourcing.sqlite import Factory
from eventsourcing.tests import persistence as library
from eventsourcing.utils import Environment, get_topic

from application.mentorat import DateAsISO
from bootstrap.store_env import MAPPER_TOPIC
from domain.participant import Participant
from infrastructure.data_keys import KeyRing
from infrastructure.field_mapper import FieldMapper, Sealed
from tests.support import T0
from tests.unit.builders import COORDINATOR, MENTEE_ID, PROGRAMME_ID
from tests.unit.test_field_mapper import MASTER, MemoryKeyTable

FACTORY_ONLY = "tests the library's SQLite factory and recorders, not the mapper"
TYPED_ONLY = "the library's own JSONTranscoder fails it too: it keeps no tuples or str/int/list/dict subclasses"


class TestFieldMapperFromTheEnvironment(library.InfrastructureFactoryTestCase[Factory]):
    """The library's mapper cases, with `MAPPER_TOPIC` naming our mapper, over the embedded store's factory."""

    def setUp(self) -> None:
        self.env = Environment("TestCase", {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
        self.env["MAPPER_TOPIC"] = MAPPER_TOPIC
        super().setUp()

    def tearDown(self) -> None:
        # Every mapper the library's cases built came from MAPPER_TOPIC: ours.
        self.assertIsInstance(self.factory.mapper(transcoder=self.transcoder), FieldMapper)
        super().tearDown()

    def test_a_ciphered_and_compressed_field_mapper_still_seals_under_a_persons_key(self) -> None:
        self.env[self.factory.COMPRESSOR_TOPIC] = get_topic(ZlibCompressor)
        self.env[AESCipher.CIPHER_KEY] = AESCipher.create_key(16)
        self.transcoder.register(DateAsISO())
        mapper: Any = self.factory.mapper(transcoder=self.transcoder)
        assert isinstance(mapper, FieldMapper)
        keyed = mapper.with_keys(KeyRing(MemoryKeyTable(), MASTER))
        person = Participant.register(MENTEE_ID, PROGRAMME_ID, "mentee", "A Name", None, "en", COORDINATOR, T0)
        event = person.collect_events()[0]
        stored = keyed.to_stored_event(event)
        self.assertEqual(vars(keyed.to_domain_event(stored)), vars(event))
        self.assertIsInstance(vars(mapper.to_domain_event(stored))["name"], Sealed)  # the same bytes, no keys
        other = keyed.with_keys(KeyRing(MemoryKeyTable(), MASTER))  # a key store without this person's key
        self.assertIsInstance(vars(other.to_domain_event(stored))["name"], Sealed)

    def expected_factory_class(self) -> type[Factory]:
        return Factory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        raise NotImplementedError(FACTORY_ONLY)

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        raise NotImplementedError(FACTORY_ONLY)

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        raise NotImplementedError(FACTORY_ONLY)

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        raise NotImplementedError(FACTORY_ONLY)

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        raise NotImplementedError(FACTORY_ONLY)

    @skip(FACTORY_ONLY)
    def test_create_aggregate_recorder(self) -> None: ...

    @skip(FACTORY_ONLY)
    def test_create_application_recorder(self) -> None: ...

    @skip(FACTORY_ONLY)
    def test_create_tracking_recorder(self) -> None: ...

    @skip(FACTORY_ONLY)
    def test_create_process_recorder(self) -> None: ...


class TestTheTranscoderOurMapperExtends(library.TranscoderTestCase):
    """The library's transcoder cases, on a JSON transcoder our mapper registered its `sealed` transcoding on."""

    def construct_transcoder(self) -> Transcoder:
        transcoder = JSONTranscoder()
        for transcoding in (
            UUIDAsHex(),
            DecimalAsStr(),
            DatetimeAsISO(),
            library.CustomType1AsDict(),
            library.CustomType2AsDict(),
        ):
            transcoder.register(transcoding)
        return FieldMapper(transcoder).transcoder

    @skip(TYPED_ONLY)
    def test_tuple(self) -> None: ...

    @skip(TYPED_ONLY)
    def test_mixed(self) -> None: ...

    @skip(TYPED_ONLY)
    def test_dict_subclass(self) -> None: ...

    @skip(TYPED_ONLY)
    def test_list_subclass(self) -> None: ...

    @skip(TYPED_ONLY)
    def test_str_subclass(self) -> None: ...

    @skip(TYPED_ONLY)
    def test_int_subclass(self) -> None: ...

    def test_a_sealed_value_round_trips(self) -> None:
        sealed: Any = Sealed(uuid4(), b"\x00\xffciphertext")
        self.assertEqual(self.transcoder.decode(self.transcoder.encode({"a": [sealed]})), {"a": [sealed]})
