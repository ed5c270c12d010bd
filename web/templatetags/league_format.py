"""Template filters for times: {{ row.time_s|race_time }}, {{ row.gap_s|race_gap }}.

Registered as a builtin in settings, so templates need no {% load %}.
"""

from django import template

from simulator.formatting import format_gap, format_race_time

register = template.Library()


@register.filter(name="race_time")
def race_time(value):
    return format_race_time(value)


@register.filter(name="race_gap")
def race_gap(value):
    return format_gap(value)


register.filter("format_race_time", format_race_time)
