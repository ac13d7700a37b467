"""What the page's events do with what the browser sends them (untrusted)."""

from __future__ import annotations

import pytest

from webui.handlers import parse_citation


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ('{"article": "a.txt", "paragraph": 2, "highlight": [1, 9], "phrase": [3, 5]}', True),
        ('{"article": "a.txt", "paragraph": 2}', True),
        ('{"article": "a.txt", "paragraph": 2, "phrase": "<b>"}', False),
        ('{"article": "a.txt", "paragraph": 2, "highlight": [1, "9"]}', False),
        ('{"article": 3, "paragraph": 2}', False),
        ("not json", False),
    ],
)
def test_citations_sent_by_the_page_are_checked(raw: str, valid: bool):
    assert (parse_citation(raw) is not None) is valid
