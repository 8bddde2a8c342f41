
import re
import unicodedata

# Quoted strings. A single quote opens after a non-letter and may hold apostrophes (Don't, Euler's).
QUOTED = re.compile(r"""(?<!\w)'(?P<a>(?:[^']|'(?=\w))+)'(?!\w)|"(?P<b>[^"]+)"|“(?P<c>[^”]+)”"""
                    r"""|‘(?P<d>[^’]+)’|「(?P<e>[^」]+)」|『(?P<f>[^』]+)』""")



# Labels that number the parts of a request: '(a)', 'b)', '(iii)', '1.', 'Q2:', 'Slide 2:', 'Part B:'.
# Each starts a new clause and is itself no part of what is drawn.
ENUMERATOR = re.compile(r"(?:(?<=\s)|^)(?:\((?:[a-h]|i{1,3}|iv|vi{0,3}|\d{1,2})\)|(?:[a-h]|i{1,3}|iv|vi{0,3}|\d{1,2})\)"
                        r"|(?:slide|part|panel|question|q|figure|fig\.?)\s*(?:\d{1,2}|[a-h])\s*[:.)]"
                        r"|\d{1,2}\.(?=\s+[A-Za-z]))(?=\s)", re.I)
# Abbreviations whose full stop ends no sentence ('Dr. Patel', 'e.g. benzene').
ABBREVIATION = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof|St|Fig|No|vs|approx|ca|cf|e\.g|i\.e|etc)\.", re.I)


def quoted(clause: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every quoted string, in order."""
    return [(m.start(), m.end(), next(g for g in m.groups() if g is not None))
            for m in QUOTED.finditer(clause)]


def is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and not unicodedata.category(ch).startswith("Z")
