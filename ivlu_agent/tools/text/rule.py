"""Text rule: posters, labels and titled panels whose exact text is quoted in the request.

"a poster titled 'Photosynthesis' with subtitle 'How plants make sugar'", "a label 'Mitochondrion'",
"a panel titled 'Key facts' with text '…'", "海报，标题「光合作用」，副标题「植物如何制造糖」".
Only quoted text is drawn, exactly as written; the words around it choose the layout and roles.
"""

from __future__ import annotations

import re

from ...errors import IvluError
from ..base import PlanContext
from ..common.prose import QUOTED, quoted
from .spec import MAX_CANVAS, TextSpec

FIT = "ivlu_agent.tools.text.render:fit_check"
LAYOUTS = [
    ("poster", re.compile(r"\b(?:poster|banner|sign|flyer|title card|title slide|slide|cover)s?\b|海报|横幅")),
    ("panel", re.compile(r"\b(?:panel|box|card|callout|note)s?\b|面板|文本框")),
    ("label", re.compile(r"\b(?:label|tag|sticker|badge)s?\b|标签")),
]
ROLES = [
    ("subheading", re.compile(r"\b(?:sub-?title|sub-?heading|tagline|strapline)d?\b|副标题")),
    ("heading", re.compile(r"\b(?:titled|title|heading|headline|header|called|named|label(?:led|ed)?)\b"
                           r"|(?<!副)标题")),
    ("body", re.compile(r"\b(?:text|body|reading|reads|saying|says|contents?|lines?|paragraphs?|bullets?)\b"
                        r"|内容|正文|文字")),
]
# 'a banner for our conference: ICMS 2026, Lisbon, 3-5 June': after a layout word and a colon, the rest is the
# exact text, as if it were quoted.
COLON_TEXT = re.compile(r"^(?P<lead>[^:'\"“”]{1,80}?):\s*(?P<text>[^'\"“”]{1,300}?)\s*\.?$")  # 'says: Lecture 7: …'


def quote_after_colon(clause: str) -> str:
    """'a banner for our conference: ICMS 2026' → "…: 'ICMS 2026'"; 'Title slide: A — B' → two quoted parts (a
    heading and a subheading). A lead that states a purpose ('for my slide: the structure of …') is no layout."""
    m = COLON_TEXT.match(clause)
    if m and not quoted(clause) and layout_of(m.group("lead")) is not None \
            and not re.match(r"^\s*(?:for|in|on|to|at|about)\b", m.group("lead"), re.I) \
            and not asks_for_a_figure(m.group("text"), m.group("lead")):
        parts = [p.strip() for p in re.split(r"\s+[—–|]\s+|\s+-\s+", m.group("text")) if p.strip()]
        if len(parts) >= 2:
            return f"{m.group('lead')}: '{parts[0]}' subtitle '{' — '.join(parts[1:])}'"
        return f"{m.group('lead')}: '{m.group('text')}'"
    return clause


# Text asked for without quotes: 'write Happy Birthday Ana in big letters', 'a poster for the chemistry club
# bake sale on Friday'. The words are drawn as written (the plan notes say so); quotes choose exact text.
UNQUOTED_WRITE = re.compile(r"^\s*(?:please\s+)?(?:write|print|type|spell\s+out)\s+(?:out\s+)?(?:the\s+(?:words?|text)\s+)?"
                            r"(?P<t>[^'\"“”]+?)(?:\s+(?:in|with|using)\s+(?:(?:very|really|nice|big|large|huge|giant|bold"
                            r"|small|capital|block|fancy|red|blue|green|black|white)\s+)+(?:letters|font|type|text|"
                            r"capitals)\b.*)?\s*\.?$", re.I)
POSTER_FOR = re.compile(r"^\s*(?:please\s+)?(?:(?:make|create|draw|design|give\s+me)\s+)?(?:an?\s+|the\s+)?"
                        r"(?:(?:simple|nice|small|big|large)\s+)?(?P<layout>poster|banner|sign|flyer|title\s+card|"
                        r"title\s+slide|slide|card|cover)\s+(?:for|about|announcing|advertising|promoting|saying|that\s+"
                        r"says|reading)\s+(?:the\s+|our\s+|my\s+|a\s+)?(?P<t>[^'\"“”]+?)\s*\.?$", re.I)
WHEN = re.compile(r"\s+(?:on|this|next|at)\s+(?P<w>(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                  r"\d{1,2}(?:st|nd|rd|th)?\b|noon|midday|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*)"
                  r".{0,40})$", re.I)


# Words after 'Next slide:' that ask for a figure, not for text: 'the structure of neopentane', 'plot y = x^2'.
FIGURE_WORDS = re.compile(r"\b(?:structures?|skeletal|formulas?|molecules?|compounds?|reactions?|equations?|diagrams?|"
                          r"charts?|plots?|graphs?|flow\s*charts?|views?|drawings?|sketch|draw|plot|graph)\b|[=^→]|->",
                          re.I)


def asks_for_a_figure(words: str, lead: str = "") -> bool:
    """Whether unquoted words name something to draw: a figure word, or a compound of the table after a slide
    or poster lead. Such words are never taken as text to write, so 'Next slide: the structure of
    neopentane' draws neopentane; on a label, sign or tag a compound's name is its text ('label for a
    reagent bottle: 0.1 M hydrochloric acid, corrosive')."""
    from ..common.names import compound_spans

    if FIGURE_WORDS.search(words):
        return True
    return bool(compound_spans(words)) and not re.search(r"\b(?:labels?|signs?|tags?|stickers?|badges?)\b", lead, re.I)


def unquoted_text(clause: str) -> tuple[str, str, str] | None:
    """(layout, heading, subheading) for text asked for without quotes, or None."""
    if quoted(clause) or asks_for_a_figure(clause.split(":", 1)[-1] if ":" in clause else
                                          re.sub(r"^.*?\b(?:write|print|type|for|about|announcing|saying)\b", "",
                                                 clause, count=1, flags=re.I)):
        return None
    poster = POSTER_FOR.match(clause)
    if poster:
        words, when = poster.group("t"), ""
        m = WHEN.search(words)
        if m:
            words, when = words[:m.start()], m.group("w")
        layout = "poster"
        heading = words.strip(" ,.")
        return layout, heading[:1].upper() + heading[1:], when[:1].upper() + when[1:]
    write = UNQUOTED_WRITE.match(clause)
    if write and len(write.group("t").split()) <= 12:
        return ("label" if len(write.group("t")) <= 60 else "poster"), write.group("t").strip(" ,."), ""
    return None


ROLE_QUOTE = re.compile(r"\b(?:title|heading|subtitle|caption|headline)\s*:?\s*(?=['\"“‘「])", re.I)
LEAD_ROLE = re.compile(r"^\s*(?:a\s+|the\s+)?(?:heading|title|subtitle|caption|headline)\s*:?\s*['\"“]", re.I)
WRITE = re.compile(r"\b(?:write|text)\b|写", re.I)
SIZE = re.compile(r"\b(?P<w>\d{3,4})\s*(?:x|×|by)\s*(?P<h>\d{2,4})\s*(?:px|pixels?)?\b", re.I)
FILLER = set("""a an the with and of in on its it that which is are as at to for by saying reading reads says
called named titled title subtitle heading subheading headline header tagline text body content contents line
lines paragraph paragraphs bullet bullets draw make create render show write give me please poster posters
banner sign flyer card cover panel box callout note label labelled labeled tag sticker badge px pixels x by
big small large chinese english letters letter font capitals capital bold huge giant""".split())


def layout_of(clause: str) -> str | None:
    found = [(p.search(clause.lower()).start(), name) for name, p in LAYOUTS if p.search(clause.lower())]
    return min(found)[1] if found else None



# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset(FILLER) | {"poster", "posters", "label", "labels", "panel", "title", "titled", "entitled", "subtitle",
                                       "subtitled", "heading", "subheading", "body", "text", "write", "written", "saying", "says", "reading",
                                       "reads", "banner", "slide", "card", "sign", "caption", "px", "pixels", "by", "x", "flyer", "cover",
                                       "box", "callout", "note", "tag", "sticker", "badge", "tagline", "strapline",
                                       "headline", "header", "called", "named", "contents", "content", "lines",
                                       "line", "paragraph", "paragraphs", "bullet", "bullets", "海报", "横幅", "面板",
                                       "文本框", "标签", "副标题", "标题", "内容", "正文", "文字", "写"}


class TextRule:
    """Posters, labels and titled panels with exact, quoted text."""

    name = "text"
    priority = 30  # quoted text with a poster/label/panel word; after plots and diagrams, which have titles
    examples = (  # what the planner lists when it understands nothing in a request
        'text (\'a poster titled "…" with subtitle "…"\', "a label \'Mitochondrion\'", "a panel '
        'titled \'Key facts\' with text \'…\'")'
    )
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        clause = quote_after_colon(clause)
        return bool(quoted(clause)) and (layout_of(clause) is not None or bool(WRITE.search(clause))
                                         or bool(LEAD_ROLE.match(clause)) or bool(ROLE_QUOTE.search(clause)))

    def claims_unclaimed(self, clause: str) -> bool:
        """Text without quotes, read only when no rule claims the clause ('write Happy Birthday Ana')."""
        return unquoted_text(clause) is not None

    def owns(self, clause: str) -> bool:
        """The whole clause is one text request: nothing but keywords is left outside the quotes."""
        clause = quote_after_colon(clause)
        if not self.claims(clause):
            return False
        rest = QUOTED.sub(" ", clause)
        rest = SIZE.sub(" ", rest)
        words = re.findall(r"[^\W\d_]+", rest.lower())
        return all(w in FILLER or re.fullmatch(r"[\u4e00-\u9fff]+", w) for w in words)

    def plan(self, clause: str, ctx: PlanContext) -> list[TextSpec]:
        clause = quote_after_colon(clause)
        strings = quoted(clause)
        unquoted = unquoted_text(clause)
        if not strings and unquoted:
            layout, heading, subheading = unquoted
            ctx.notes.append(f"the text is taken from your words as written: '{heading}'"
                             + (f" / '{subheading}'" if subheading else "") + "; put exact text in quotes to choose it")
            return [TextSpec(layout=layout, heading=heading, subheading=subheading)]
        if not strings:
            raise IvluError(f"No quoted text in {clause!r}.", "the exact text in quotes, e.g. "
                            "\"a poster titled 'Photosynthesis'\"", "put the words to draw in quotes")
        short = len(strings) == 1 and len(strings[0][2]) <= 60
        layout = layout_of(clause) or ("label" if short else "poster")
        roles: dict[str, list[str]] = {"heading": [], "subheading": [], "body": []}
        previous_end = 0
        for start, end, text in strings:
            before = clause[previous_end:start].lower()
            role = next((name for name, p in ROLES if p.search(before)), None)
            if role is None or (role != "body" and roles[role]):  # by position: title, subtitle, body
                subtitle_free = layout == "poster" and not roles["subheading"] and not roles["body"]
                role = "heading" if not roles["heading"] else ("subheading" if subtitle_free else "body")
            if layout == "label":
                role = "heading"
            roles[role].append(text.strip())
            previous_end = end
        if layout == "label" and len(roles["heading"]) > 1:  # 'a label: "0.1 M HCl", second line "Corrosive"'
            lines = roles["heading"]
            layout, roles = "panel", {"heading": lines[:1], "subheading": [], "body": lines[1:]}
            ctx.notes.append(f"a label of {len(lines)} lines is drawn as a panel: the first line as its heading")
        if layout == "panel" and roles["subheading"]:
            roles["body"] = roles["subheading"] + roles["body"]
            roles["subheading"] = []
        fields = {"layout": layout, "heading": " ".join(roles["heading"]),
                  "subheading": " ".join(roles["subheading"]), "body": "\n".join(roles["body"])}
        self._check_lengths(fields)
        size = SIZE.search(QUOTED.sub(" ", clause))
        if size:
            fields["width"], fields["height"] = int(size.group("w")), int(size.group("h"))
        spec = TextSpec(**fields)
        fitted = ctx.call(FIT, spec.model_dump(mode="json"), timeout_s=60)
        ctx.reasoning.append(
            f"Text {layout}: " + "; ".join(f"{role} {' / '.join(v)!r}" for role, v in roles.items() if v)
            + f" — fits {fitted['width']} × {fitted['height']} px at "
            + ", ".join(f"{role} {px} px" for role, px in fitted["px"].items()))
        return [spec]

    @staticmethod
    def _check_lengths(fields: dict) -> None:
        for role, limit in (("heading", 200), ("subheading", 300), ("body", 1500)):
            text = fields[role]
            if len(text) > limit:
                raise IvluError(
                    f"The {role} has {len(text)} characters: too long for any canvas "
                    f"(a {role} is at most {limit} characters, drawn on at most "
                    f"{MAX_CANVAS} × {MAX_CANVAS} px).",
                    f"a {role} of at most {limit} characters", "shorten it or split it over several panels")

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext, same_request: bool = False) -> list[TextSpec] | None:
        return None


def verify_target(value: list[str], options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --text STRING [--text STRING …]`."""
    return "ivlu_agent.tools.common.readback:verify_text_image", [value]
