"""The memory store's record compression: a zstd dictionary trained on recent records."""

from __future__ import annotations

from questline_mock.storage.memory_state import Compression, unpack_compressed


def record(n: int) -> dict[str, object]:
    return {
        "event": {"id": f"evt_{n:06d}", "type": ("purchase", "login")[n % 2], "n": n},
        "effects": {"xp": {"granted": n % 7, "total": n}, "rules_triggered": [f"r{n % 5}"]},
    }


def test_every_record_reads_back_with_the_codec_it_was_packed_with() -> None:
    compression = Compression()
    count = 2 * Compression.TRAINING_EVERY + 100  # trained at 512, 8,192 and 16,384
    packed = [compression.pack(record(n)) for n in range(count)]
    codecs = list(dict.fromkeys(codec for _, codec in packed))
    assert len(codecs) == 4
    assert [unpack_compressed(blob, codec) for blob, codec in packed] == [
        record(n) for n in range(count)
    ]
    first = len(packed[0][0])
    assert all(len(blob) < first / 2 for blob, _ in packed[-100:])  # the dictionary pays


def test_too_few_samples_to_train_keep_the_codec_in_use() -> None:
    compression = Compression(sample_every=10_000)  # one sample: zstd refuses to train
    packed = [compression.pack(record(n)) for n in range(Compression.FIRST_TRAINING + 1)]
    assert len({codec for _, codec in packed}) == 1
    assert unpack_compressed(*packed[-1]) == record(Compression.FIRST_TRAINING)


def test_plain_values_are_marshalled_and_others_pickled_and_both_read_back() -> None:
    from collections import OrderedDict

    from questline_mock.domain import MISSING
    from questline_mock.storage.memory_state import pack_plain, unpack

    plain = ({"a": [1, 2.5, True, None, 10**40, "\ud800"]}, b"raw", ("x", -0.0))
    others = [("seen", (MISSING, False)), OrderedDict(a=1)]
    for value in plain:
        blob = pack_plain(value)
        assert blob[0] != 0x80 and unpack(blob) == value  # marshal's, not a pickle
    for value in others:
        blob = pack_plain(value)
        assert blob[0] == 0x80 and unpack(blob) == value
    assert unpack(pack_plain(others[0]))[1][0] is MISSING
    assert type(unpack(pack_plain(others[1]))) is OrderedDict
