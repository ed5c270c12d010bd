"""Byte ranges of file responses (RFC 9110)."""

import pytest

from web import rangeserve


def test_parse_range_edge_cases():
    parse = rangeserve.parse_range
    assert parse("", 100) is None
    assert parse("items=0-5", 100) is None
    assert parse("bytes=0-5,10-20", 100) is None
    assert parse("bytes=0-0", 100) == (0, 0)
    assert parse("bytes=99-", 100) == (99, 99)
    assert parse("bytes=-1000", 100) == (0, 99)
    for bad in ("bytes=-0", "bytes=-", "bytes=100-", "bytes=5-4", "bytes=x-1"):
        with pytest.raises(rangeserve.RangeNotSatisfiable):
            parse(bad, 100)
