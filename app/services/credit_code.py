"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation category (1), division code (6),
organisation code (9), check character (1). The check character is
31 - (Σ value(c_i) × w_i mod 31), over the alphabet 0-9 A-H J-N P-R T-U W-Y
(no I, O, Z, S, V), with weights 3^i mod 31; 31 maps to 0.
"""

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize(code: str | None) -> str:
    """Users paste codes with spaces around them or type them in lower case."""
    return (code or "").strip().upper()


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with code: "length", "characters", "check", or None when valid."""
    code = normalize(code)
    if len(code) != 18:
        return "length"
    if not _SHAPE.match(code):
        return "characters"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None
