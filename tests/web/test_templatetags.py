import pytest
from django.template import Context, Template

from simulator.formatting import format_gap, format_race_time


@pytest.mark.parametrize(
    "seconds, text",
    [(67.3421, "1:07.342"), (7.3, "7.300"), (3725.0, "1:02:05.000"), (59.9996, "1:00.000"),
     (None, "—"), (float("nan"), "—"), (0.0, "0.000")],
)
def test_format_race_time(seconds, text):
    assert format_race_time(seconds) == text


def test_format_gap():
    assert format_gap(0.518) == "+0.518" and format_gap(0) == "+0.000" and format_gap(None) == "—"
    # Ahead of the leader's pace (a live run): one sign, not "+-0.008"; a tie from below is a tie.
    assert format_gap(-0.008) == "-0.008" and format_gap(-61.5) == "-1:01.500"
    assert format_gap(-0.0004) == "+0.000" and format_gap(-0.0) == "+0.000"


def test_template_filter_needs_no_load():
    assert Template("{{ t|race_time }}").render(Context({"t": 67.3421})) == "1:07.342"
