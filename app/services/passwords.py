"""Password strength, estimated by zxcvbn (common passwords, names, dates, keyboard
patterns, and the words of the account itself), explained in the reader's language.

zxcvbn's own feedback is English only: its warnings and suggestions are mapped to our
translated messages here, by their English text.
"""

import re

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from app.services.errors import ValidationFailed

MIN_SCORE = 3  # zxcvbn 0-4; 3: "safely unguessable", about 10^8 guesses
MAX_CHECKED = 100  # zxcvbn slows down on long input; the tail of a long password adds no risk
MIN_NAME_PART = 3  # shorter local parts ("li@…") would refuse half of all passwords

WARNINGS = {
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.": _l("Short keyboard patterns are easy to guess."),
    'Repeats like "aaa" are easy to guess.': _l("Repeated characters are easy to guess."),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        _l("Repeating a group of characters hardly makes it harder to guess."),
    'Sequences like "abc" or "6543" are easy to guess.':
        _l("Sequences such as abc or 6543 are easy to guess."),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Dates are often easy to guess.": _l("Dates are easy to guess."),
    "This is a top-10 common password.": _l("This is one of the most common passwords."),
    "This is a top-100 common password.": _l("This is one of the most common passwords."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.": _l("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _l("A single word is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _l("Names by themselves are easy to guess."),
    "Common names and surnames are easy to guess.": _l("Common names are easy to guess."),
}

SUGGESTIONS = {
    "Use a few words, avoid common phrases.": _l("Use several words, not a common phrase."),
    "No need for symbols, digits, or uppercase letters.":
        _l("Length matters more than symbols, digits or capital letters."),
    "Add another word or two. Uncommon words are better.":
        _l("Add one or two more words; uncommon words are better."),
    "Use a longer keyboard pattern with more turns.": _l("Avoid keyboard patterns."),
    "Avoid repeated words and characters.": _l("Avoid repeated words and characters."),
    "Avoid sequences.": _l("Avoid sequences."),
    "Avoid recent years.": _l("Avoid recent years."),
    "Avoid years that are associated with you.": _l("Avoid years and dates associated with you."),
    "Avoid dates and years that are associated with you.": _l("Avoid years and dates associated with you."),
    "Capitalization doesn't help very much.": _l("A capital first letter does not help much."),
    "All-uppercase is almost as easy to guess as all-lowercase.":
        _l("All capital letters are almost as easy to guess as all small ones."),
    "Reversed words aren't much harder to guess.": _l("Words written backwards are hardly harder to guess."),
    "Predictable substitutions like '@' instead of 'a' don't help very much.":
        _l("Predictable substitutions such as @ for a do not help much."),
}


def _inputs(email: str, names: tuple[str, ...]) -> list[str]:
    """The account's own words, which a guesser tries first."""
    words = []
    email = (email or "").strip().lower()
    if email:
        local, _at, domain = email.partition("@")
        words += [email, local, *re.split(r"[._+-]+", local), domain.split(".")[0]]
    for name in names:
        if name and name.strip():
            words += [name.strip().lower(), *name.lower().split()]
    return [w for w in dict.fromkeys(words) if w]


def check_strength(password: str, *, email: str = "", names: tuple[str, ...] = ()) -> None:
    """Refuse a guessable password with the reasons why (ValidationFailed on "password")."""
    password = password or ""
    local = (email or "").strip().lower().partition("@")[0]
    if len(local) >= MIN_NAME_PART and local in password.lower():
        raise ValidationFailed(errors={"password": [
            _l("The password must not contain the name part of your e-mail address.")]})
    result = zxcvbn(password[:MAX_CHECKED], user_inputs=_inputs(email, names))
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    messages = [_l("This password is too easy to guess.")]
    if feedback.get("warning") in WARNINGS:
        messages.append(WARNINGS[feedback["warning"]])
    elif _uses_own_words(result):
        messages.append(_l("It contains your name, your organisation or your e-mail address."))
    for suggestion in feedback.get("suggestions", []):
        if suggestion in SUGGESTIONS and SUGGESTIONS[suggestion] not in messages:
            messages.append(SUGGESTIONS[suggestion])
    raise ValidationFailed(errors={"password": messages})


def _uses_own_words(result: dict) -> bool:
    return any(m.get("dictionary_name") == "user_inputs" for m in result.get("sequence", []))
