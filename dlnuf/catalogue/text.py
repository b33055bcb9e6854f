"""Text folding shared by the catalogue search and the procedure diagnostic."""

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, without accents; every run of other characters becomes one space."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALNUM.sub(" ", bare.casefold()).strip()


def singular(word: str) -> str:
    """A French plural folded to its singular, well enough for matching (« impôts » → « impot »)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
