"""The console's one-time tokens: used once, per kind and shop, gone after 30 minutes."""

from __future__ import annotations

import threading

from base_sync_cli.console.onetime import MAX_ENTRIES, TTL_S, OneTimeStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_used_once_and_remembers_what_its_use_gave() -> None:
    store = OneTimeStore()
    token = store.put("send", "shop-a", ["K-1"])
    first = store.use(token, "send", "shop-a")
    assert first.first and first.entry is not None and first.entry.data == ["K-1"]
    first.entry.outcome = "exp-1"
    second = store.use(token, "send", "shop-a")
    assert not second.first and second.entry is not None and second.entry.outcome == "exp-1"


def test_a_token_is_bound_to_its_kind_and_shop() -> None:
    store = OneTimeStore()
    token = store.put("upload", "shop-a", [])
    assert store.use(token, "send", "shop-a").entry is None
    assert store.use(token, "upload", "shop-b").entry is None
    assert store.use(None, "upload", "shop-a").entry is None
    assert store.use(token, "upload", "shop-a").first  # the mismatches did not use it up


def test_a_token_expires() -> None:
    clock = Clock()
    store = OneTimeStore(clock=clock)
    token = store.put("send", "shop-a", None)
    clock.now += TTL_S
    assert store.use(token, "send", "shop-a").entry is None


def test_the_store_keeps_a_bounded_number_of_entries() -> None:
    store = OneTimeStore()
    tokens = [store.put("send", "shop-a", i) for i in range(MAX_ENTRIES + 5)]
    assert store.peek(tokens[0], "send", "shop-a") is None  # the oldest made room
    assert store.peek(tokens[-1], "send", "shop-a") is not None


def test_two_racing_uses_have_one_winner() -> None:
    store = OneTimeStore()
    token = store.put("send", "shop-a", None)
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def click() -> None:
        barrier.wait()
        wins.append(store.use(token, "send", "shop-a").first)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
