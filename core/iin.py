"""The Kazakhstan individual identification number (IIN, ЖСН/ИИН).

Twelve digits: ``YYMMDD`` date of birth, one century-and-sex digit, four serial digits and a
control digit. The control digit is the weighted sum of the first eleven digits modulo 11
(weights 1..11); when that gives 10, a second pass uses weights 3..11, 1, 2; a second 10 means
no valid IIN carries these eleven digits. Only an HMAC of the IIN is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

#: Century of birth by the seventh digit (odd: male, even: female). 0 was used for some foreigners.
CENTURIES = {1: (1800,), 2: (1800,), 3: (1900,), 4: (1900,), 5: (2000,), 6: (2000,), 0: (1900, 2000)}


def control_digit(first_eleven: str) -> int | None:
    """The control digit for eleven digits, or ``None`` when the algorithm gives none."""
    digits = [int(ch) for ch in first_eleven]
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        result = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if result != 10:
            return result
    return None


def normalize(value: str | None) -> str:
    """Spaces and dashes people type between digit groups are dropped."""
    return "".join(ch for ch in (value or "") if ch not in " -\u00a0\t")


def _birth_date_ok(iin: str) -> bool:
    yy, mm, dd, century_digit = int(iin[0:2]), int(iin[2:4]), int(iin[4:6]), int(iin[6])
    centuries = CENTURIES.get(century_digit)
    if centuries is None:
        return False
    for century in centuries:
        try:
            date(century + yy, mm, dd)
        except ValueError:
            continue
        return True
    return False


def is_valid_iin(value: str | None) -> bool:
    """True for twelve ASCII digits with a valid birth date, century digit and control digit."""
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    if not _birth_date_ok(value):
        return False
    return control_digit(value[:11]) == int(value[11])


def iin_hash(iin: str, key: str | bytes) -> str:
    """HMAC-SHA256 (hex) of the IIN under the server's secret key."""
    if isinstance(key, str):
        key = key.encode()
    return hmac.new(key, iin.encode("ascii"), hashlib.sha256).hexdigest()
