"""The restart backoff hands out each delay once, then gives up; stability resets it."""

from tailscale_sidecar.supervisor.backoff import Backoff


def test_it_gives_each_delay_once_then_none():
    backoff = Backoff([1, 2, 4, 8, 16], stable_after=60)
    assert [backoff.next_delay() for _ in range(6)] == [1, 2, 4, 8, 16, None]
    assert backoff.attempts == 5


def test_it_resets_after_being_healthy_long_enough():
    backoff = Backoff([1, 2], stable_after=60)
    backoff.next_delay()
    assert backoff.note_healthy(now=100.0) is False
    assert backoff.note_healthy(now=159.0) is False
    assert backoff.note_healthy(now=160.0) is True
    assert backoff.next_delay() == 1


def test_a_crash_restarts_the_stability_clock():
    backoff = Backoff([1, 2, 4], stable_after=60)
    backoff.next_delay()
    backoff.note_healthy(now=100.0)
    backoff.next_delay()  # crashed again
    backoff.note_healthy(now=150.0)
    assert backoff.note_healthy(now=200.0) is False
    assert backoff.attempts == 2
