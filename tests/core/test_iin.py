"""The IIN control digit, date checks and hashing."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from core.iin import control_digit, iin_hash, is_valid_iin, normalize

# Computed by hand with the algorithm, e.g. 900101300126: digits 9 0 0 1 0 1 3 0 0 1 2 with weights
# 1..11 give 9+4+6+21+10+22 = 72, 72 mod 11 = 6.
VALID = [
    "900101300126",
    "851202400559",
    "000229501234",  # 29 February 2000 (seventh digit 5: born in the 2000s)
    "750703356786",
    "010101500013",
    "991231600052",
    "880504100019",  # seventh digit 1: born in the 1800s (allowed by the format)
    "900101300811",  # first pass gives 10; the second pass (weights 3..11, 1, 2) gives 78 mod 11 = 1
]


@pytest.mark.parametrize("iin", VALID)
def test_valid_iins(iin):
    assert is_valid_iin(iin)


@pytest.mark.parametrize(
    "iin",
    [
        "900101300127",  # control digit off by one
        "900101300125",
        "851202400558",
        "900101300810",  # second pass gives 1, not 0
        "900101300800",  # both passes give 10: no valid control digit exists
        "900101300801",
        "900101300809",
        "901301300126",  # month 13
        "900132300126",  # day 32
        "010229500013",  # 29 February 2001 does not exist
        "900101700126",  # seventh digit 7 is not a century
        "900101900126",
        "90010130012",  # 11 digits
        "9001013001266",  # 13 digits
        "90010130012a",
        "",
        "９００１０１３００１２６",  # full-width digits are not ASCII
    ],
)
def test_invalid_iins(iin):
    assert not is_valid_iin(iin)


def test_none_and_non_strings_are_invalid():
    assert not is_valid_iin(None)
    assert not is_valid_iin(900101300126)  # type: ignore[arg-type]


def test_control_digit_second_pass_and_none():
    assert control_digit("90010130012") == 6
    assert control_digit("90010130081") == 1
    assert control_digit("90010130080") is None


def test_every_serial_has_at_most_one_control_digit():
    base = "8501014"
    for serial in range(0, 300):
        digits = f"{base}{serial:04d}"
        valid = [d for d in range(10) if is_valid_iin(digits + str(d))]
        expected = control_digit(digits)
        assert valid == ([] if expected is None else [expected])


def test_normalize_drops_separators():
    assert normalize(" 900101 300126 ") == "900101300126"
    assert normalize("900-101-300-126") == "900101300126"
    assert normalize(None) == ""


def test_iin_hash_is_hmac_sha256():
    expected = hmac.new(b"key", b"900101300126", hashlib.sha256).hexdigest()
    assert iin_hash("900101300126", "key") == expected
    assert iin_hash("900101300126", b"key") == expected
    assert len(expected) == 64
    assert iin_hash("900101300126", "other-key") != expected
    assert iin_hash("851202400559", "key") != expected
