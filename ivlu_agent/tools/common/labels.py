
import re

_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "−": "-", "–": "-"})



_WORD = re.compile(r"[a-z0-9]+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")



def words(text: str) -> list[str]:
    """Lower-case alphanumeric runs and single CJK characters, with OCR's usual look-alikes folded together."""
    return _WORD.findall(text.lower().translate(_FOLD))



def missing_words(expected: str, read: str, spaced: bool = True) -> list[str]:
    """Expected words not read. `spaced=False` for RapidOCR, which drops spaces: each word must then
    occur inside the text read, in order."""
    want = words(expected)
    if spaced:
        pool = words(read)
        missing = []
        for w in want:
            if w in pool:
                pool.remove(w)
            else:
                missing.append(w)
        return missing
    joined, pos, missing = "".join(words(read)), 0, []
    for w in want:
        at = joined.find(w, pos)
        if at < 0:
            missing.append(w)
        else:
            pos = at + len(w)
    return missing
