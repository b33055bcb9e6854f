"""Per-credential rate limits in a fixed one-minute window."""

from dlnuf.exchange.ratelimits import rate_limit_hit


def test_calls_are_counted_until_the_limit_then_refused() -> None:
    statuses = [rate_limit_hit(credential_id=7, limit=3, now=6000.0 + i) for i in range(4)]

    assert [s.remaining for s in statuses] == [2, 1, 0, 0]
    assert [s.exceeded for s in statuses] == [False, False, False, True]
    assert statuses[3].reset_seconds == 57
    assert statuses[3].headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "57",
        "Retry-After": "57",
    }
    assert "Retry-After" not in statuses[0].headers()


def test_a_new_window_starts_afresh() -> None:
    for i in range(3):
        rate_limit_hit(credential_id=7, limit=3, now=6000.0 + i)

    next_window = rate_limit_hit(credential_id=7, limit=3, now=6060.5)

    assert not next_window.exceeded
    assert next_window.remaining == 2
    assert next_window.reset_seconds == 60


def test_each_credential_has_its_own_count() -> None:
    rate_limit_hit(credential_id=1, limit=1, now=6000.0)

    assert not rate_limit_hit(credential_id=2, limit=1, now=6000.0).exceeded
    assert rate_limit_hit(credential_id=1, limit=1, now=6000.0).exceeded
