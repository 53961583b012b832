"""Posts written like an e-mail: a greeting line, then a sign-off line ("Bonjour … Cordialement").

A network where people keep writing letters to each other was never adopted as a conversation
space; the share of such posts is a known sign of it. Only the first and the last lines are
looked at, so the test costs the same for a long post as for a short one.
"""

from __future__ import annotations

import re

#: a greeting that opens the first line (French and English, then German and Spanish).
GREETING = re.compile(
    r"\s*(bonjour|bonsoir|salut|cher|chère|chers|chères|madame|monsieur|hello|hi|hey|dear|"
    r"good (morning|afternoon|evening)|greetings|guten tag|hallo|hola|buenos días)\b",
    re.IGNORECASE,
)
#: a sign-off that opens one of the last lines.
SIGN_OFF = re.compile(
    r"(cordialement|bien cordialement|bien à (vous|toi)|salutations|sincères salutations|"
    r"bonne (journée|soirée|fin de journée)|merci d'avance|merci par avance|à bientôt|amitiés|"
    r"regards|best regards|kind regards|warm regards|best wishes|best|sincerely|yours|cheers|"
    r"thanks in advance|many thanks|thank you|mit freundlichen grüßen|saludos)\b",
    re.IGNORECASE,
)
#: how far from the end a sign-off may open: the signature (a name, a title) may follow it.
TAIL_CHARS = 160


def is_mail_style(text: str) -> bool:
    """True when `text` opens with a greeting and one of its last lines opens with a sign-off."""
    if not GREETING.match(text):
        return False
    tail = text[-TAIL_CHARS:]
    start = text.find("\n")
    if start < 0:  # a one-line post: the sign-off follows the greeting's sentence on the same line
        return SIGN_OFF.search(tail, pos=max(0, len(tail) - 60)) is not None
    return any(SIGN_OFF.match(line.strip(" \t,.-—–")) for line in tail.splitlines()[1:])
