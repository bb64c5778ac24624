import pytest

from messaging.statuses import STATUS_RANK, MessageStatus, can_advance, parse_status, statuses_below

S = MessageStatus


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.PENDING, S.QUEUED),
        (S.ACCEPTED, S.QUEUED),
        (S.QUEUED, S.SENDING),
        (S.SENDING, S.SENT),
        (S.SENT, S.DELIVERED),
        (S.SENT, S.UNDELIVERED),
        (S.QUEUED, S.FAILED),
        (S.PENDING, S.FAILED),
        (S.DELIVERED, S.READ),
        (S.SCHEDULED, S.CANCELED),
        (S.RECEIVING, S.RECEIVED),
    ],
)
def test_forward_moves(old, new):
    assert can_advance(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.DELIVERED, S.SENT),
        (S.SENT, S.SENDING),
        (S.DELIVERED, S.FAILED),
        (S.FAILED, S.DELIVERED),
        (S.SENT, S.SENT),
        (S.CANCELED, S.READ),
        (S.DELIVERED, S.CANCELED),
        (S.READ, S.DELIVERED),
    ],
)
def test_backward_sideways_and_out_of_canceled_are_refused(old, new):
    assert not can_advance(old, new)


def test_statuses_below_is_the_set_that_can_advance():
    assert set(statuses_below(S.DELIVERED)) == {s for s in STATUS_RANK if STATUS_RANK[s] < STATUS_RANK[S.DELIVERED]}
    assert S.CANCELED not in statuses_below(S.READ)


def test_parse_status():
    assert parse_status(" Delivered ") is S.DELIVERED
    assert parse_status("teleported") is None
    assert parse_status(None) is None
