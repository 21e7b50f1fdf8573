"""Substring search of job descriptions (`/jobs/?description=`) through their 3-character
substrings (n-grams, `description_grams` on the job): a description holds a search string only
if it holds every 3-gram of it, so an index of the grams narrows the candidates to the jobs
holding them all, and the pattern itself decides. A search shorter than three characters has
no gram, and is the pattern alone."""
GRAM = 3
GRAMS_FIELD = "description_grams"
DESCRIPTION_INDEX = "description_grams_posted"  # jobs: the grams, newest `posted` first
# Characters from most to least common in teuthology descriptions; a gram of rarer characters
# matches fewer jobs, so a search's grams are listed rarest first (the index range a server
# bounds its $all by is the first one's).
COMMON_CHARACTERS = "e/ao rstindl{}-_.cmbphuyfgkvwxzjq0123456789"


def grams(text):
    """The distinct 3-grams of `text`, sorted (none for a non-string)."""
    if not isinstance(text, str):
        return []
    return sorted({text[start:start + GRAM] for start in range(len(text) - GRAM + 1)})


def _rarity(gram):
    """Higher for rarer characters; those not listed (capitals, other symbols) are rarest."""
    return sum(COMMON_CHARACTERS.index(character) if character in COMMON_CHARACTERS
               else len(COMMON_CHARACTERS) for character in gram)


def search_grams(search):
    """The grams every description holding `search` holds, rarest first."""
    return sorted(grams(search), key=lambda gram: (-_rarity(gram), gram))
