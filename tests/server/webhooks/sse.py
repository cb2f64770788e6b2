"""Reading Server-Sent Events from an iterator of chunks (test client or httpx)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Frame:
    id: str | None
    event: str | None
    data: str | None
    comment: str | None = None

    @property
    def envelope(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)


class SseReader:
    """Frames from raw chunks; ``next_event()`` skips comments, ``next_frame()`` does not."""

    def __init__(self, chunks: Iterator[bytes | str]) -> None:
        self._chunks = chunks
        self._buffer = ""

    def next_frame(self) -> Frame:
        while "\n\n" not in self._buffer:
            chunk = next(self._chunks)
            self._buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self._buffer = self._buffer.split("\n\n", 1)
        fields: dict[str, str] = {}
        comment = None
        for line in block.split("\n"):
            if line.startswith(":"):
                comment = line[1:].strip()
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        return Frame(fields.get("id"), fields.get("event"), fields.get("data"), comment)

    def next_event(self, max_comments: int = 200) -> Frame:
        for _ in range(max_comments):
            frame = self.next_frame()
            if frame.comment is None:
                return frame
        raise AssertionError("only keep-alive comments arrived")
