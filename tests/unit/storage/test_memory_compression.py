"""The memory store's record compression: a dictionary learnt from recent records."""

from __future__ import annotations

from questline_mock.storage.memory_state import Compression, unpack_compressed


def record(n: int) -> dict[str, object]:
    return {
        "event": {"id": f"evt_{n:06d}", "type": ("purchase", "login")[n % 2], "n": n},
        "effects": {"xp": {"granted": n % 7, "total": n}, "rules_triggered": [f"r{n % 5}"]},
    }


def test_every_record_reads_back_with_the_dictionary_it_was_packed_with() -> None:
    compression = Compression()
    packed = [compression.pack(record(n)) for n in range(2_500)]  # the dictionary changes
    dictionaries = {id(zdict) for _, zdict in packed if zdict is not None}
    assert len(dictionaries) >= 3 and packed[0][1] is None
    assert [unpack_compressed(blob, zdict) for blob, zdict in packed] == [
        record(n) for n in range(2_500)
    ]
    first = len(packed[0][0])
    assert all(len(blob) < first / 2 for blob, _ in packed[-100:])  # the dictionary pays
