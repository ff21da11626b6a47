"""English complaint-phrase patterns over lowercase tokens and lookup lemmas.

The default English pipeline (``spacy.blank("en")``) has no POS tagger, so the patterns lean on
small closed word lists: attribute adjectives, intensifiers to drop, aspect nouns and nouns that
merely name the product. Each match becomes a canonical phrase ("much heavier than I expected"
-> "heavier than expected") plus the exact span it covers.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

# -- word lists ----------------------------------------------------------------------------------

# Dropped between the pattern's words: "way too big", "much heavier", "not very warm enough".
INTENSIFIERS = frozenset(
    "much way a lot bit little slightly so very really super extremely quite far even pretty somewhat "
    "kind kinda sort sorta rather incredibly ridiculously terribly awfully overly totally completely "
    "just too also definitely seriously insanely unbelievably noticeably significantly considerably "
    "tad wayyy waaay waay soooo sooo so-so hugely massively".split())

STOP = frozenset(
    "a an the this that these those it its it's i me my mine we us our you your he him his she her they them "
    "their there here which who whom what when where why how and or but if then so as of at by for with about "
    "against between into through during before after above below to from up down in out on off over under "
    "again further once all any both each few more most other some such no nor not only own same than too very "
    "s t can will just don should now is am are was were be been being have has had having do does did doing "
    "would could might must shall may one ones get got also still even really".split())

PRONOUNS = frozenset("it this that they these those which she he i you we one mine everything something".split())

# Nouns that only name the garment or product: "the dress was huge" is a complaint about size, not
# about dresses, so the noun is dropped and bare product names never become phrases.
PRODUCT_NOUNS = frozenset(
    "dress top shirt blouse sweater cardigan skirt pant pants jean jeans short shorts jacket coat tee "
    "t-shirt tunic romper jumpsuit legging leggings bra bralette cami tank vest item piece product garment "
    "style design one thing purchase order outfit suit swimsuit bikini pullover hoodie sweatshirt poncho "
    "kimono slip gown robe trouser trousers chino chinos denim shoe shoes boot boots bag backpack "
    "size color colour pattern print".split())

# Nouns for a part or a service a complaint can be about ("the zipper broke", "thin fabric").
ASPECT_NOUNS = frozenset(
    "fabric material quality zipper zip seam seams stitching stitch lining button buttons strap straps "
    "sleeve sleeves arm arms armhole armholes waist waistband hem hemline neckline neck collar shoulder "
    "shoulders chest bust hip hips leg legs length rise inseam back front cup cups pocket pockets thread "
    "threads elastic band hood cuff cuffs construction workmanship cut fit sizing shape wool cotton "
    "linen silk knit lace embroidery trim tag tags delivery shipping shipment package packaging battery "
    "charger cable screen app service support customer refund return price strap sole heel laces handle "
    "wheel lid cap".split())

# Nouns an adjective in front of makes a complaint ("cheap material"); parts like "long sleeves"
# name a style there, so they only count when predicated ("the sleeves are long").
MATERIAL_NOUNS = frozenset(
    "fabric material materials quality stitching seams seam construction workmanship lining zipper delivery "
    "shipping service battery price".split())
BODY_NOUNS = frozenset("chest bust hip hips arm arms leg legs shoulder shoulders back front neck".split())
NEUTRAL_ATTRIBUTIVE = frozenset("high thick long short heavy light dark bright wide large big small".split())

# Adjectives a complaint predicates of a thing: "fabric is thin", "the delivery was late".
ATTRIBUTE_ADJ = frozenset(
    "small big large huge tiny tight loose short long wide narrow baggy boxy heavy thin thick sheer "
    "cheap flimsy stiff scratchy itchy rough hot cold expensive pricey low high dark bright shiny "
    "see-through transparent wrinkled wrinkly shapeless unflattering bulky slow late loud noisy weak "
    "fragile uncomfortable snug frumpy poor bad awful terrible horrible defective broken ripped torn "
    "faded stained damaged dirty smelly missing misshapen uneven crooked off wrong different dull "
    "synthetic polyester plasticky plastic papery coarse lumpy puckered clingy oversized enormous "
    "massive gigantic matronly sloppy odd weird awkward strange unwearable low-cut delayed "
    "lost tearing frayed pilly boring".split())

# Adjectives that are a complaint on their own ("it was huge", "feels cheap").
COMPLAINT_ADJ = frozenset(
    "huge tiny sheer see-through transparent itchy scratchy unflattering shapeless boxy frumpy flimsy "
    "cheap baggy stiff wrinkled wrinkly enormous massive gigantic matronly sloppy unwearable clingy "
    "plasticky papery misshapen defective broken ripped torn faded stained damaged smelly lumpy "
    "puckered oversized awkward weird odd strange".split())

# Positive words that "too" and "so" also go with ("too cute", "too pretty to return").
POSITIVE = frozenset(
    "cute pretty good great nice beautiful lovely gorgeous perfect comfortable comfy soft adorable "
    "fun flattering stylish elegant gorgeous amazing awesome excellent happy excited stunning "
    "sweet fabulous wonderful".split())

TOO_EXCLUDE = frozenset("much many bad few late far often soon little badly long-time".split()) | STOP

# Expectation references after "than" and what each one is called in the canonical phrase.
EXPECT_REF = {
    "expect": "expected", "expected": "expected", "think": "expected", "thought": "expected",
    "imagine": "expected", "imagined": "expected", "anticipate": "expected", "anticipated": "expected",
    "hope": "expected", "hoped": "expected", "assume": "expected", "assumed": "expected",
    "picture": "pictured", "pictured": "pictured", "pictures": "pictured", "photo": "pictured",
    "photos": "pictured", "image": "pictured", "images": "pictured", "show": "pictured", "shown": "pictured",
    "model": "pictured", "online": "pictured", "look": "pictured", "looks": "pictured", "looked": "pictured",
    "appear": "pictured", "appears": "pictured", "appeared": "pictured", "website": "pictured",
    "advertise": "advertised", "advertised": "advertised", "describe": "described", "described": "described",
    "description": "described", "list": "described", "listed": "described", "state": "described",
    "stated": "described", "say": "described", "said": "described", "claimed": "described",
    "usual": "usual", "normal": "usual", "typical": "usual", "regular": "usual", "typically": "usual",
    "normally": "usual", "usually": "usual",
}
# Words allowed between "than" and the reference: "than I had originally expected", "than it looks in the photo".
THAN_FILLER = frozenset(
    "i we she he you they it had have would 'd originally initially first what the a in on my your "
    "was were is it's i'd seemed seems did do does expected size".split())

# Irregular comparatives; regular ones are derived from ATTRIBUTE_ADJ and a few more bases below.
_COMP_BASES = ATTRIBUTE_ADJ | frozenset(
    "light warm cool soft hard fat slim short dark pale stretchy tall deep shallow bulky cheap flimsy "
    "heavy thin roomy lower higher".split())
IRREGULAR_COMP = {"worse": "bad", "less": "little", "bigger": "big", "thinner": "thin", "hotter": "hot",
                  "fatter": "fat", "slimmer": "slim", "wetter": "wet", "redder": "red"}

BREAK_VERBS = {  # lemma -> canonical past form for "<aspect noun> broke"
    "break": "broke", "rip": "ripped", "tear": "tore", "snap": "snapped", "unravel": "unraveled",
    "fray": "frayed", "crack": "cracked", "peel": "peeled", "split": "split", "pop": "popped",
    "bleed": "bled", "fade": "faded", "shrink": "shrank", "stretch": "stretched", "stick": "stuck",
    "jam": "jammed", "leak": "leaked", "die": "died", "pill": "pilled", "fall": "fell off", "come": "came off",
    "arrive": "arrived late", "take": "took too long",
}
# Verbs for "does not X"
NOT_VERBS = {"fit": "lack", "work": "failure", "stay": "failure", "charge": "failure", "hold": "failure",
             "last": "failure", "zip": "failure", "close": "failure", "drape": "lack", "hang": "lack",
             "stretch": "lack", "breathe": "lack", "button": "failure", "turn": "failure", "connect": "failure",
             "lie": "lack", "lay": "lack"}
NOT_ADJ = frozenset(
    "flattering worth comfortable soft warm well-made made wearable breathable stretchy "
    "durable sturdy waterproof cute pretty".split())
# "not" + adjective phrases whose complement matters: "not true to size", "not worth the price".
RUN_ADJ = frozenset("small large big tight short long narrow wide snug huge tiny loose".split())
FIT_ADJ = RUN_ADJ | frozenset("weird strange awkward odd funny poorly terribly horribly badly oddly weirdly".split())
LIKE_NOUNS = frozenset(
    "tent sack maternity pajamas pajama nightgown potato bag grandma smock muumuu costume gown paper "
    "trash garbage box tablecloth curtain bathrobe robe nightie scrubs uniform moo".split())
LOOK_ADJ = frozenset(
    "fat wide big bigger heavier pregnant frumpy short shorter boxy huge larger matronly old older "
    "dumpy squat stocky wider broader broad heavy".split())
NO_EXCLUDE = frozenset("one way idea matter longer more problem problems issue issues doubt complaints "
                       "complaint reason question questions time other".split()) | STOP


class Tok(NamedTuple):
    w: str   # lowercase surface
    l: str   # lowercase lemma
    start: int
    end: int


class Match(NamedTuple):
    canonical: str
    kind: str
    i: int   # first token index (inclusive)
    j: int   # last token index (exclusive)
    priority: int


@functools.lru_cache(maxsize=1)
def _lemma_table():
    from .nlp import get_english

    nlp = get_english()
    try:
        return nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    except (KeyError, ValueError):  # a full pipeline without lookup tables: fall back to its own lemmas
        return {}


# The lookup table gets a few function words wrong ("does" -> "doe") or leaves them alone.
LEMMA_OVERRIDES = {"does": "do", "did": "do", "doing": "do", "is": "be", "was": "be", "were": "be", "are": "be",
                   "am": "be", "'m": "be", "'re": "be", "n't": "not", "nt": "not", "ca": "can", "wo": "will", "sheer": "sheer",
                   "pilling": "pill", "pilled": "pill", "broken": "break", "fits": "fit", "fitted": "fit"}


def lemma(word: str) -> str:
    """Return the lookup lemma of a lowercase ``word`` (the word itself when unknown)."""
    return LEMMA_OVERRIDES.get(word) or _lemma_table().get(word, word)


def comparative_base(word: str) -> str | None:
    """Return the base adjective of a comparative ("heavier" -> "heavy"), or None."""
    if word in IRREGULAR_COMP:
        return IRREGULAR_COMP[word]
    if not word.endswith("er") or len(word) < 4:
        return None
    stem = word[:-2]
    candidates = [stem, stem + "e"]
    if stem.endswith("i"):
        candidates.append(stem[:-1] + "y")
    if len(stem) > 2 and stem[-1] == stem[-2]:
        candidates.append(stem[:-1])
    for c in candidates:
        if c in _COMP_BASES:
            return c
    return None


def _skip(toks: list[Tok], k: int, words: frozenset[str], limit: int = 3) -> int:
    """Return the index after skipping up to ``limit`` tokens from ``words`` starting at ``k``."""
    n = 0
    while k < len(toks) and n < limit and toks[k].w in words:
        k += 1
        n += 1
    return k


def _is_word(t: Tok) -> bool:
    return t.w.isalpha() or "-" in t.w and t.w.replace("-", "").isalpha()


def _than(toks: list[Tok], i: int) -> tuple[str, int] | None:
    """Match the reference after "than" at ``i``; returns (reference name, end index)."""
    if i >= len(toks) or toks[i].w != "than":
        return None
    k = i + 1
    for _ in range(5):
        if k >= len(toks):
            return None
        t = toks[k]
        ref = EXPECT_REF.get(t.w) or EXPECT_REF.get(t.l)
        if ref:
            k += 1
            # "than it looks in the picture": swallow the picture words too
            if ref == "pictured":
                m = k
                while m < len(toks) and m < k + 3 and toks[m].w in ("in", "on", "the", "picture", "pictures",
                                                                     "photo", "photos", "online", "model"):
                    m += 1
                if m > k and toks[m - 1].w in ("picture", "pictures", "photo", "photos", "online", "model"):
                    k = m
            return ref, k
        if t.w not in THAN_FILLER:
            return None
        k += 1
    return None


def _match_at(toks: list[Tok], i: int) -> list[Match]:
    """Return every pattern that starts at token ``i``."""
    t = toks[i]
    w, l = t.w, t.l
    out: list[Match] = []
    n = len(toks)

    # expectation: "<comparative> than expected", "more expensive than advertised"
    base = comparative_base(w)
    if base is not None or w in ("more", "less"):
        comp, k = w, i + 1
        if w in ("more", "less") and k < n and _is_word(toks[k]) and toks[k].w not in STOP:
            comp, k = f"{w} {toks[k].w}", k + 1
        elif w in ("more", "less"):
            comp = ""
        if comp:
            ref = _than(toks, k)
            if ref:
                out.append(Match(f"{comp} than {ref[0]}", "expectation", i, ref[1], 0))
    if w in ("nothing", "not") and i + 2 < n:
        # "nothing like the picture", "not as pictured", "not what i expected"
        k = i + 1
        if w == "nothing" and toks[k].w == "like":
            # "nothing like the picture", "looks nothing like it does on the model"
            k2 = _skip(toks, k + 1, frozenset(("the", "a", "its", "in", "on", "it", "does", "did", "looks", "looked",
                                               "one", "shown", "what", "was", "is")), 5)
            if k2 < n and toks[k2].w in ("picture", "pictures", "photo", "photos", "image", "images", "model",
                                         "description", "online", "website"):
                out.append(Match("nothing like the picture", "expectation", i, k2 + 1, 0))
        elif w == "not" and toks[k].w in ("as", "what") and k + 1 < n:
            k2 = _skip(toks, k + 1, frozenset(("i", "it", "was", "is", "shown", "in", "the", "had", "we")), 4)
            ref = None
            if k2 < n:
                ref = EXPECT_REF.get(toks[k2].w) or EXPECT_REF.get(toks[k2].l)
            if ref and ref != "usual":
                out.append(Match(f"not as {ref}", "expectation", i, k2 + 1, 0))

    # excess: "too big", "way too heavy"
    if w == "too" and i + 2 < n and toks[i + 1].w == "much" and toks[i + 2].l in ASPECT_NOUNS:
        out.append(Match(f"too much {toks[i + 2].w}", "excess", i, i + 3, 1))
    elif w in ("extra", "excess") and i + 1 < n and toks[i + 1].l in ("fabric", "material"):
        out.append(Match(f"too much {toks[i + 1].w}", "excess", i, i + 2, 1))
    elif w in ("too", "overly") and i + 1 < n:
        k = _skip(toks, i + 1, frozenset(("very", "darn", "damn")), 1)
        if k < n and _is_word(toks[k]) and toks[k].w not in TOO_EXCLUDE and toks[k].w not in POSITIVE:
            out.append(Match(f"too {toks[k].w}", "excess", i, k + 1, 2))

    # lack: "not warm enough", "not flattering", "not true to size", "no support"
    if l == "not" and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS | {"at", "all", "that"})
        if k < n and _is_word(toks[k]):
            a = toks[k].w
            if k + 1 < n and toks[k + 1].w == "enough" and a not in STOP:
                out.append(Match(f"not {a} enough", "lack", i, k + 2, 1))
            elif a == "true" and k + 2 < n and toks[k + 1].w == "to" and toks[k + 2].w == "size":
                out.append(Match("not true to size", "lack", i, k + 3, 1))
            elif a in NOT_ADJ:
                out.append(Match(f"not {a}", "lack", i, k + 1, 2))
            elif toks[k].l in NOT_VERBS and i > 0 and toks[i - 1].l in ("do", "will", "would", "can", "could"):
                verb = toks[k].l
                j = k + 1
                if verb == "turn" and j < n and toks[j].w == "on":
                    verb, j = "turn on", j + 1
                elif verb in ("lie", "lay"):
                    verb = "lie flat" if j < n and toks[j].w == "flat" else ""
                    j += 1
                elif verb == "turn":
                    verb = ""
                if verb:
                    out.append(Match(f"doesn't {verb}", NOT_VERBS[toks[k].l], i - 1, j, 1))
    if w in ("no", "zero") and i + 1 < n and _is_word(toks[i + 1]) and toks[i + 1].w not in NO_EXCLUDE \
            and toks[i + 1].w in ("support", "shape", "stretch", "structure", "pockets", "lining", "give",
                                  "waist", "definition", "form", "padding", "coverage", "warmth", "room"):
        out.append(Match(f"no {toks[i + 1].w}", "lack", i, i + 2, 2))

    # verb phrases: "runs small", "stopped working", "fell apart", "see through", "battery dies fast"
    if l in ("run", "fit") and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS)
        if k < n:
            a = toks[k].w
            if l == "run" and a in RUN_ADJ:
                out.append(Match(f"runs {a}", "excess", i, k + 1, 1))
            elif l == "fit" and a in FIT_ADJ and (w != "fit" or (i > 0 and toks[i - 1].w in PRONOUNS)):
                out.append(Match(f"fits {a}", "excess" if a in RUN_ADJ else "lack", i, k + 1, 1))
    if l in ("stop", "quit") and i + 1 < n and toks[i + 1].l in ("work", "function", "charge"):
        out.append(Match("stopped working", "failure", i, i + 2, 0))
    if l in ("fall", "come") and i + 1 < n and toks[i + 1].w in ("apart", "undone", "unstitched", "unraveled"):
        out.append(Match(f"{'fell' if l == 'fall' else 'came'} apart", "failure", i, i + 2, 0))
    if w == "see" and i + 1 < n:
        k = i + 2 if toks[i + 1].w == "-" else i + 1
        if k < n and toks[k].w in ("through", "thru"):
            out.append(Match("see through", "aspect", i, k + 1, 1))
    if w == "see-through":
        out.append(Match("see through", "aspect", i, i + 1, 3))
    if l in ("die", "drain") and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS)
        if k < n and toks[k].w in ("fast", "quickly", "quick", "soon", "easily"):
            if i > 0 and toks[i - 1].l == "battery":
                out.append(Match("battery dies fast", "failure", i - 1, k + 1, 0))
            else:
                out.append(Match("dies fast", "failure", i, k + 1, 1))
    if l in ("shrink",):
        out.append(Match("shrank", "failure", i, i + 1, 3))
    if w in ("pilled", "pilling"):
        out.append(Match("pilling", "failure", i, i + 1, 3))
    if l in ("look", "feel", "seem") and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS)
        if k < n and toks[k].w in COMPLAINT_ADJ:
            verb = {"look": "looks", "feel": "feels", "seem": "looks"}[l]
            out.append(Match(f"{verb} {toks[k].w}", "aspect", i, k + 1, 2))
        elif k + 1 < n and toks[k].w == "like":
            k2 = _skip(toks, k + 1, frozenset(("a", "an", "i", "was", "wearing", "in", "big", "giant", "huge",
                                               "old", "shapeless")), 4)
            if k2 < n and toks[k2].l in LIKE_NOUNS:
                noun = "maternity wear" if toks[k2].l == "maternity" else toks[k2].l
                art = "" if noun == "maternity wear" or noun.endswith("s") else "a "
                out.append(Match(f"looks like {art}{noun}", "aspect", i, k2 + 1, 1))
    if l == "make" and i + 2 < n and toks[i + 1].w in ("me", "us", "you") and toks[i + 2].l == "look":
        k = _skip(toks, i + 3, INTENSIFIERS | {"like", "i", "was", "am", "a", "an", "lot", "about"}, 5)
        if k < n and toks[k].w in LOOK_ADJ:
            out.append(Match(f"makes me look {toks[k].w}", "aspect", i, k + 1, 0))

    # aspect: "<noun> is/was [too] <adj>", "<noun> broke", "thin fabric"
    if w in ASPECT_NOUNS:
        l = w  # "shipping" is the noun here, not the verb "ship"
    if _is_word(t) and (w not in STOP or w in PRONOUNS) and i + 1 < n:
        k = i + 1
        if toks[k].l == "be":
            k = _skip(toks, k + 1, INTENSIFIERS - {"too"})
            too = k < n and toks[k].w == "too"
            if too:
                k = _skip(toks, k + 1, INTENSIFIERS)
            if k < n and toks[k].w in ATTRIBUTE_ADJ:
                a = toks[k].w
                if l in BODY_NOUNS and not too:
                    pass  # "my chest is large" is about the customer, not the product
                elif l in ASPECT_NOUNS:
                    if too:
                        canon = f"{w} too {a}"
                    elif a in ("off", "wrong", "different"):
                        canon = f"{w} is {a}"
                    else:
                        canon = f"{a} {w}"
                    out.append(Match(canon, "excess" if too else "aspect", i, k + 1, 1))
                    # "the fabric is thin and cheap"
                    if not too and k + 2 < n and toks[k + 1].w == "and" and toks[k + 2].w in ATTRIBUTE_ADJ:
                        out.append(Match(f"{toks[k + 2].w} {w}", "aspect", k + 2, k + 3, 1))
                elif (l in PRODUCT_NOUNS or w in PRONOUNS) and not too and a in COMPLAINT_ADJ:
                    out.append(Match(a, "aspect", k, k + 1, 3))
        elif l in ASPECT_NOUNS and toks[k].l in BREAK_VERBS and toks[k].w != toks[k].l or \
                (l in ASPECT_NOUNS and toks[k].w in ("broke", "split", "ripped", "tore")):
            verb = toks[k].l
            canon = BREAK_VERBS[verb]
            j = k + 1
            if verb in ("fall", "come"):
                if j < n and toks[j].w == "off":
                    j += 1
                else:
                    canon = ""
            if verb in ("arrive", "take"):
                canon = ""  # handled by delivery patterns below
            if canon:
                out.append(Match(f"{w} {canon}", "failure", i, j, 1))
    if w in ATTRIBUTE_ADJ and w not in NEUTRAL_ATTRIBUTIVE and i + 1 < n \
            and (toks[i + 1].l in MATERIAL_NOUNS or toks[i + 1].w in MATERIAL_NOUNS) \
            and (i == 0 or toks[i - 1].w != "not"):
        out.append(Match(f"{w} {toks[i + 1].w}", "aspect", i, i + 2, 2))
    if l == "take" and i + 3 < n and toks[i + 1].w in ("forever", "ages", "weeks", "months") \
            and toks[i + 2].w == "to" and toks[i + 3].l in ("arrive", "ship", "deliver", "come", "get"):
        out.append(Match("late delivery", "aspect", i, i + 4, 1))
    if l in ("delivery", "shipping", "shipment", "package", "order") and i + 1 < n:
        # "delivery took forever", "package arrived late"
        k = _skip(toks, i + 1, INTENSIFIERS | {"finally"})
        if k + 1 < n and toks[k].l == "take" and toks[k + 1].w in ("forever", "ages", "weeks", "long"):
            out.append(Match(f"{'late' if l != 'shipping' else 'slow'} {l}", "aspect", i, k + 2, 1))
        elif k + 1 < n and toks[k].l == "arrive" and toks[k + 1].w in ("late", "damaged", "broken", "torn"):
            out.append(Match(f"{toks[k + 1].w} {l}", "aspect", i, k + 2, 1))
    return out


def tokens_from_text(text: str, offset: int = 0) -> list[Tok]:
    """Return tokens for ``text`` using spaCy's tokenizer and the lookup lemmas."""
    from .nlp import get_english

    doc = get_english().tokenizer(text)
    return [Tok(x.lower_, lemma(x.lower_), offset + x.idx, offset + x.idx + len(x.text)) for x in doc]


def tokens_from_segment(tokens) -> list[Tok]:
    """Return internal tokens from Segment tokens (``text``, ``lemma``, ``start``, ``end``)."""
    out = []
    for t in tokens:
        w = t.text.lower()
        lem = (t.lemma or w).lower()
        if lem == w or lem == t.text:  # the lookup lemmatizer misses capitalised words: "Batteries"
            lem = lemma(w)
        out.append(Tok(w, lem, t.start, t.end))
    return out


def find(toks: list[Tok]) -> list[Match]:
    """Return non-overlapping matches, preferring higher priority (lower number) and longer spans."""
    cands: list[Match] = []
    for i in range(len(toks)):
        cands.extend(_match_at(toks, i))
    cands.sort(key=lambda m: (m.priority, -(m.j - m.i), m.i))
    taken: list[Match] = []
    for m in cands:
        if all(m.j <= o.i or m.i >= o.j for o in taken):
            taken.append(m)
    taken.sort(key=lambda m: m.i)
    # a match that starts at "n't" shows its whole written word: "wasn't flattering"
    return [m._replace(i=m.i - 1) if toks[m.i].w in ("n't", "nt") and m.i > 0 and toks[m.i - 1].end == toks[m.i].start
            else m for m in taken]
