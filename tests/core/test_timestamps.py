import pytest

from rsemigrate.archive.timestamps import parse_timestamp, sort_key, utc_micros, utc_of_key


@pytest.mark.parametrize("raw, utc", [
    ("2019-03-04T10:00:00Z", "2019-03-04T10:00:00Z"),
    ("2019-03-04T11:30:00+01:30", "2019-03-04T10:00:00Z"),
    ("2019-03-04 10:00:00 +0000", "2019-03-04T10:00:00Z"),
    ("2019/03/04 12:00:00 +0200", "2019-03-04T10:00:00Z"),
    ("2019-03-04T10:00:00.120Z", "2019-03-04T10:00:00.120Z"),
    ("2019-03-04T10:00:00.000Z", "2019-03-04T10:00:00Z"),
    ("2019-03-04T10:00:00.5Z", "2019-03-04T10:00:00.500Z"),
    ("2019-03-04T10:00:00.123456789Z", "2019-03-04T10:00:00.123456Z"),
    ("2019-03-04T10:00Z", "2019-03-04T10:00:00Z"),
])
def test_accepted_forms_keep_the_raw_text(raw, utc):
    stamp = parse_timestamp(raw)
    assert stamp.utc == utc and stamp.raw == raw


@pytest.mark.parametrize("raw", ["2019-03-04T10:00:00", "2019-03-04", "04/03/2019 10:00", "yesterday", "",
                                 "2019-02-30T10:00:00Z"])
def test_anything_else_is_a_clear_error(raw):
    with pytest.raises(ValueError, match="timestamp"):
        parse_timestamp(raw)


@pytest.mark.parametrize("raw, error", [
    ("2019-02-30T10:00:00Z", "impossible timestamp"),
    ("2019-02-30T10:00:00.123Z", "impossible timestamp"),
    ("2019-03-04T10:00:00.1²3Z", "unrecognised timestamp"),
    ("٢٠١٩-03-04T10:00:00Z", "impossible timestamp"),  # Unicode digits: the regexes take them, Python not
    ("2019-0x-04T10:00:00Z", "unrecognised timestamp"),
])
def test_the_canonical_shape_alone_proves_nothing(raw, error):
    with pytest.raises(ValueError, match=error):
        parse_timestamp(raw)


def test_sort_keys_order_like_the_instants_and_round_trip():
    instants = ["2020-01-01T00:00:00.500Z", "2020-01-01T00:00:00Z", "1965-06-01T12:00:00.000001Z",
                "2020-01-01T00:00:00.123456Z", "1999-12-31T23:59:59Z"]
    assert sorted(instants, key=sort_key) == sorted(instants, key=utc_micros)
    for utc in instants:
        assert utc_of_key(sort_key(utc)) == utc
