"""One Swedish number format for the web, Word and PDF."""

from __future__ import annotations

from flask import render_template_string

from kvalitet.core.numbers import format_number, format_percent
from kvalitet.rapport.document import change, fmt


def test_swedish_notation():
    assert format_number(1234567) == "1\u00a0234\u00a0567"
    assert format_number(0.8) == "0,8"
    assert format_number(50.0) == "50"
    assert format_number(2.25) == "2,3"  # half up, as people round
    assert format_number(-1500) == "\u22121\u00a0500"
    assert format_number(3, sign=True) == "+3"
    assert format_number(12.345, 2) == "12,35"
    assert format_number(None) == "–"
    assert format_percent(0.667) == "67\u00a0%"
    assert fmt(12500.5) == "12\u00a0500,5"
    assert change(10, 12) == "\u22122" and change(3, 3) == "±0"


def test_web_filters_use_the_same_helper(app):
    with app.test_request_context():
        html = render_template_string(
            "{{ 50.0|tal }} {{ 0.8|tal }} {{ 12345|tal }} {{ 0.5|procent }}"
        )
    assert html == "50 0,8 12\u00a0345 50\u00a0%"
