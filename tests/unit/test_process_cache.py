"""The per-process store the queue keeps its parsed query strings and statements in."""

from __future__ import annotations

from zhongchuang.runtime import ProcessCache


def test_a_value_is_built_once_and_the_store_is_bounded():
    built: list[str] = []

    def build(key: str):
        def make() -> str:
            built.append(key)
            return key.upper()

        return make

    cache: ProcessCache[str, str] = ProcessCache(most=2)
    assert cache.get("a", build("a")) == "A"
    assert cache.get("a", build("a")) == "A"
    assert built == ["a"]
    assert cache.find("b") is None
    cache.keep("b", "B")
    assert cache.find("b") == "B"
    # A third value empties the store first: memory stays bounded, and what was dropped
    # is built again when asked.
    assert cache.get("c", build("c")) == "C"
    assert cache.find("a") is None
    assert cache.get("a", build("a")) == "A"
    assert built == ["a", "c", "a"]
