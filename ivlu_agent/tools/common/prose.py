
import re
import unicodedata

# Quoted strings. A single quote opens after a non-letter and may hold apostrophes (Don't, Euler's).
QUOTED = re.compile(r"""(?<!\w)'(?P<a>(?:[^']|'(?=\w))+)'(?!\w)|"(?P<b>[^"]+)"|“(?P<c>[^”]+)”"""
                    r"""|‘(?P<d>[^’]+)’|「(?P<e>[^」]+)」|『(?P<f>[^』]+)』""")



# Labels that number the parts of a request: '(a)', 'b)', '(iii)', '1.', 'Q2:', 'Slide 2:', 'Part B:'.
# Each starts a new clause and is itself no part of what is drawn.
ENUMERATOR = re.compile(r"(?:(?<=\s)|^)(?:\((?:[a-h]|i{1,3}|iv|vi{0,3}|\d{1,2})\)|(?:(?<=[:;.,]\s)|(?<=^))"
                        r"(?:[a-h]|i{1,3}|iv|vi{0,3}|\d{1,2})\)"
                        r"|(?:slide|part|panel|question|q|figure|fig\.?)\s*(?:\d{1,2}|[a-h])\s*[:.)]"
                        r"|\d{1,2}\.(?=\s+[A-Za-z]))(?=\s)", re.I)
# Abbreviations whose full stop ends no sentence ('Dr. Patel', 'e.g. benzene').
ABBREVIATION = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof|St|Fig|No|vs|approx|ca|cf|e\.g|i\.e|etc|conc|dil|aq|temp|min|max)\.",
                          re.I)


def quoted(clause: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every quoted string, in order."""
    return [(m.start(), m.end(), next(g for g in m.groups() if g is not None))
            for m in QUOTED.finditer(clause)]


def is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and not unicodedata.category(ch).startswith("Z")


# Words that carry no meaning of their own in a request: function words, politeness, and the words teachers and
# examiners wrap requests in. plan.faithful (planning/faithful.py) accounts for them; rules skip them when they
# look for names (a word here is never offered to OPSIN or to 'did you mean').
FILLER = frozenset("""
a an the and or but of in on at to for by with from into onto as than then so also too just now next
this that these those it its it's their them they there here which what where when who how please
i me my we our us you your can could would will should may might must need needs want like let lets
is are be been being was were do does did done have has had get make makes made give gives show shows
showing shown see draw drawn drawing depict display present produce create generate render sketch
illustrate illustrating plot put use using used one some any each every all both only same new
another other more again instead just simple simply nice neat clean clear clearly quick quickly
properly correctly accurately exactly neatly fully complete completely full whole standard
conventional conventions usual typical please thanks thank kindly help hey hi hello ok okay
picture image figure diagram panel version copy view look looks looking like
lecture lectures class classes lesson lessons slide slides talk seminar course students student
exam exams test quiz homework worksheet handout notes paper report thesis poster textbook book
answer key question questions problem part following given label labelled labeled
publication journal article manuscript si supporting information supplementary appendix figures
row rows own alone separately separate together compare comparing comparison contrast
beside alongside side sides example examples e g i e eg ie etc pls plz thx ty design designed consider considering things items measuring measures first second third finally lastly physics chemistry biology maths math mathematics science
stats statistics engineering geography
""".split())
