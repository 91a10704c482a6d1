"""SpeX spectral types and the spectral_data.txt parser."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spectra_sklearn.datasets._spex_metadata import (
    SOURCE_COLUMNS,
    join_sources,
    parse_spectral_type,
    read_sources,
    read_spectral_data,
)


@given(
    letter=st.sampled_from("MLT"),
    whole=st.integers(0, 9),
    half=st.booleans(),
    colons=st.integers(0, 2),
)
def test_spectral_type_round_trip(letter, whole, half, colons):
    sub = f"{whole}.{5 if half else 0}"
    parsed = parse_spectral_type(f"{letter}{sub}" + ":" * colons)
    assert parsed[0] == f"{letter}{sub}"
    assert parsed[1] == letter
    assert parsed[2] == whole + 0.5 * half
    assert parsed[3] == {"M": 0, "L": 10, "T": 20}[letter] + whole + 0.5 * half
    assert parsed[4] == (colons > 0)


@pytest.mark.parametrize(
    "value, expected_type",
    [("", ""), ("G", "G"), ("sdM7", "sdM7"), ("d/sdM6", "d/sdM6"), ("M alph", "M alph"),
     ("Y0", "Y0"), ("M8.0?", "M8.0?")],
)  # fmt: skip
def test_values_off_the_mlt_sequence(value, expected_type):
    spectral_type, letter, subtype, index, _ = parse_spectral_type(value)
    assert (spectral_type, letter) == (expected_type, "")
    assert math.isnan(subtype) and math.isnan(index)


def test_spectral_index_orders_the_sequence():
    order = ["M0.0", "M9.5", "L0.0", "L9.0", "T0.0", "T9.0"]
    indices = [parse_spectral_type(t)[3] for t in order]
    assert indices == sorted(indices) and indices[0] == 0 and indices[-1] == 29


@pytest.mark.parametrize("eol", [b"\r", b"\n", b"\r\n"])
def test_read_spectral_data_line_endings(eol):
    raw = eol.join(
        [
            b"DATA_KEY\tSOURCE_KEY\tDATA_FILE\tQUALITY_FLAG\tMEDIAN_SNR\tSPEX_TYPE\tNOTE",
            b"10\t20\t10_20.fits\tOK\t\tL1.0:\t",
            b"11\t21\t11_21.fits\tPOOR\t35.5\t\tnote",
        ]
    ) + eol
    header, lines, columns = read_spectral_data(raw, "meta.txt")
    assert header[-1] == "NOTE" and len(lines) == 2
    assert lines[0] == b"10\t20\t10_20.fits\tOK\t\tL1.0:\t"
    assert columns["DATA_KEY"].tolist() == [10, 11]
    assert columns["SOURCE_KEY"].dtype.kind == "i"
    assert math.isnan(columns["MEDIAN_SNR"][0]) and columns["MEDIAN_SNR"][1] == 35.5
    assert columns["SPEX_TYPE"].tolist() == ["L1.0:", ""]


def test_read_spectral_data_bad_key_names_the_column():
    raw = b"DATA_KEY\tSOURCE_KEY\tDATA_FILE\tQUALITY_FLAG\tSPEX_TYPE\rx\t2\tf\tOK\tM1.0\r"
    with pytest.raises(ValueError, match="meta.txt: column DATA_KEY holds a bad value"):
        read_spectral_data(raw, "meta.txt")
    with pytest.raises(ValueError, match="empty"):
        read_spectral_data(b"\r\r", "meta.txt")


def _sources_csv(*rows, header=("NAME", "SOURCE_KEY") + SOURCE_COLUMNS):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_read_sources_and_join():
    blank = [""] * len(SOURCE_COLUMNS)
    j = ["15.5"] + [""] * (len(SOURCE_COLUMNS) - 1)
    raw = _sources_csv(['"Gl 229, B"', "7", *j], ["x", "8", *blank])
    table = read_sources(raw, "sources.csv")
    assert sorted(table) == [7, 8]
    joined = join_sources([8, 7, 99], table)
    assert joined["J_2MASS"][1] == 15.5
    assert math.isnan(joined["J_2MASS"][0]) and math.isnan(joined["J_2MASS"][2])
    assert all(math.isnan(joined[c][2]) for c in SOURCE_COLUMNS)


@pytest.mark.parametrize("raw, match", [
    (_sources_csv(header=("NAME", "SOURCE_KEY")), r"lacks the column\(s\) \['J_2MASS'"),
    (_sources_csv(["a", "x"] + [""] * 14), "line 2: SOURCE_KEY 'x' is not an integer"),
    (_sources_csv(["a", "1"] + ["abc"] + [""] * 13), "line 2: column J_2MASS holds 'abc'"),
    (_sources_csv(["a", "1"]), "line 2: 2 comma-separated fields, expected 16"),
    (_sources_csv(["a", "1"] + [""] * 14, ["b", "1"] + [""] * 14), "SOURCE_KEY 1 is repeated"),
    (b"", "is empty"),
])
def test_read_sources_errors_name_the_line(raw, match):
    with pytest.raises(ValueError, match=match):
        read_sources(raw, "sources.csv")
