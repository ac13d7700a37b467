"""What the page's events do with what the browser sends them (untrusted)."""

from __future__ import annotations

import pytest

from webui.handlers import SourcePick, VotePick


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"turn": 2, "source": 1, "at": 17}', SourcePick(2, 1)),
        ('{"turn": 0, "source": 3}', SourcePick(0, 3)),
        ('{"turn": "0", "source": 3}', None),
        ('{"turn": true, "source": 3}', None),
        ('{"turn": 0}', None),
        ("[0, 3]", None),
        ("not json", None),
    ],
)
def test_a_source_picked_in_the_page_is_checked(raw: str, expected: SourcePick | None):
    assert SourcePick.parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"turn": 1, "vote": "up"}', VotePick(1, "up")),
        ('{"turn": 1, "vote": "down"}', VotePick(1, "down")),
        ('{"turn": 1, "vote": "<b>"}', None),
        ('{"vote": "up"}', None),
        ("", None),
    ],
)
def test_a_vote_sent_by_the_page_is_checked(raw: str, expected: VotePick | None):
    assert VotePick.parse(raw) == expected
