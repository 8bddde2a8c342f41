
import re
import unicodedata

# Quoted strings. A single quote opens after a non-letter and may hold apostrophes (Don't, Euler's).
QUOTED = re.compile(r"""(?<!\w)'(?P<a>(?:[^']|'(?=\w))+)'(?!\w)|"(?P<b>[^"]+)"|“(?P<c>[^”]+)”"""
                    r"""|‘(?P<d>[^’]+)’|「(?P<e>[^」]+)」|『(?P<f>[^』]+)』""")



def quoted(clause: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every quoted string, in order."""
    return [(m.start(), m.end(), next(g for g in m.groups() if g is not None))
            for m in QUOTED.finditer(clause)]


def is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and not unicodedata.category(ch).startswith("Z")
