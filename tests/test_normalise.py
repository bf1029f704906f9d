from datetime import date

import pytest

from lod import normalise as n


@pytest.mark.parametrize("printed, earliest, latest", [
    ("12 July 1925", date(1925, 7, 12), date(1925, 7, 12)),
    ("July 1925", date(1925, 7, 1), date(1925, 7, 31)),
    ("February 1928", date(1928, 2, 1), date(1928, 2, 29)),          # a leap year
    ("Later than 1 August 1925", date(1925, 8, 2), None),            # exclusive
    ("No earlier than 6 August 1930", date(1930, 8, 6), None),       # inclusive
    ("earlier than 17 November 1929", None, date(1929, 11, 16)),
    ("before March 1931", None, date(1931, 2, 28)),
    ("No later than 15 September 1930", None, date(1930, 9, 15)),
    ("Early July 1927", date(1927, 7, 1), date(1927, 7, 10)),
    ("Late August–Early September 1930", date(1930, 8, 21), date(1930, 9, 10)),
    ("1932, before June 1932", date(1932, 1, 1), date(1932, 5, 31)),
    ("[9 August 1925]", date(1925, 8, 9), date(1925, 8, 9)),
])
def test_printed_date_bounds(printed, earliest, latest):
    assert n.printed_date_bounds(printed) == n.Bounds(earliest, latest)


@pytest.mark.parametrize("printed", ["30 February 1925", "Julember 1925", "12 July", "", "sometime"])
def test_unreadable_or_impossible_printed_dates_are_refused(printed):
    with pytest.raises(n.DateFormError):
        n.printed_date_bounds(printed)


@pytest.mark.parametrize("earliest, latest, expected", [
    ("1925-07-12", "1925-07-12", "1925-07-12"),
    ("1925-07-01", "1925-07-31", "1925-07"),
    ("1932-01-01", "1932-12-31", "1932"),
    ("1927-07-01", "1927-07-10", "1927-07-01/1927-07-10"),
    ("1925-08-02", None, "1925-08-02/.."),
    (None, "1931-02-28", "../1931-02-28"),
    (None, None, None),
])
def test_edtf(earliest, latest, expected):
    assert n.edtf(earliest, latest) == expected


@pytest.mark.parametrize("printed, certain, edtf", [
    ("1888", "1888", "1888"), ("1937?", None, "1937?"), ("?", None, None), ("", None, None), (None, None, None),
])
def test_years_with_uncertainty(printed, certain, edtf):
    assert n.certain_year(printed) == certain
    assert n.year_edtf(printed) == edtf


def test_partial_dates_give_day_bounds():
    assert n.partial_date_bounds("1924") == ("1924-01-01", "1924-12-31")
    assert n.partial_date_bounds("1928-02") == ("1928-02-01", "1928-02-29")
    assert n.partial_date_bounds("") == (None, None)
    with pytest.raises(n.DateFormError):
        n.partial_date_bounds("1928-13")


def test_document_labels():
    assert n.document_label("15", "coded-telegram", "2 June 1926") == "Coded telegram 15 (2 June 1926)"
    assert n.document_label("85", "letter", "undated") == "Letter 85 (undated)"
