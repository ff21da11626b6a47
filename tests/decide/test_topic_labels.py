"""Topic labels name the cause: fitting phrases, what members wrote, no "a / b", no markup."""
import json
from collections import Counter

import pytest

import vocmine
from vocmine.decide.topic_labels import keyword_text_lower, make_label, strip_markup

LUGGAGE_KW = ["bag", "luggage", "bags", "baggage", "lost", "lost bag", "baggage claim", "claim", "found", "days"]


def test_a_phrase_that_does_not_fit_the_keywords_never_labels_the_topic():
    phrases = [("terrible service", "service", "terrible", 40), ("too long", None, "too long", 30),
               ("wheel came off", "wheel", "came off", 20), ("lost bag", "bag", "lost", 8)]
    assert make_label(LUGGAGE_KW, phrases, "en", Counter(), 60) == "lost bag"


def test_without_a_fitting_phrase_the_label_is_what_members_wrote_without_handles():
    phrases = [("terrible service", "service", "terrible", 40), ("too long", None, "too long", 30)]
    texts = ["@united you lost my bag again http://t.co/x1", "RT @jetblue: lost my bag in Denver #fail",
             "@united lost my bag, terrible service", "Lost my bag. 3 days and nothing",
             "@SouthwestAir lost my bag and nobody calls back", "waited 2 hours at baggage claim"]
    label = make_label(["united"] + LUGGAGE_KW, phrases, "en", Counter(), 6, texts)
    assert label == "lost my bag"


def test_a_topic_without_phrases_gets_a_readable_label_not_word_slash_word():
    kw = ["sending sending", "sending", "sure", "sending sure", "sure sending", "sure sure"]
    texts = ["Sending it back."] * 12 + ["Not sure, sending it back!"] * 3 + ["sending it back"] * 3
    assert make_label(kw, [], "en", Counter(), 18, texts) == "sending it back"
    assert make_label(kw, [], "en", Counter(), 18) == "sending"  # no members at hand: the top keyword
    texts = ["The zipper keeps getting stuck."] * 8 + ["zipper keeps getting stuck honestly"] * 2
    kw = ["stuck", "zipper keeps", "keeps getting", "keeps", "getting", "getting stuck", "stuck zipper"]
    assert make_label(kw, [], "en", Counter(), 10, texts) == "zipper keeps getting stuck"


def test_a_negator_before_the_words_stays_in_the_label():
    texts = ["Honestly not worth the price."] * 6 + ["not worth the price at all"] * 4
    assert make_label(["worth price", "price", "worth"], [], "en", Counter(), 10, texts) == "not worth the price"


def test_a_taken_label_is_told_apart_by_what_sets_the_topic_apart():
    kw = ["backpack heavier", "expected backpack", "backpack", "problem backpack", "heavier looks", "looks"]
    phrases = [("heavier than expected", "backpack", "heavier than expected", 13),
               ("heavier than pictured", "backpack", "heavier than pictured", 5)]
    taken = Counter({"heavier than expected": 1})
    label = make_label(kw, phrases, "en", taken, 22)
    assert label == "backpack: heavier than expected"
    texts = ["This backpack is heavier than expected."] * 12 + ["the backpack is heavier than expected!"] * 6
    assert make_label(kw, phrases, "en", taken, 22, texts) == "backpack is heavier than expected"
    assert make_label(kw, phrases, "en", Counter(), 22) == "heavier than expected"


def test_handles_urls_rt_and_numbers_are_never_keywords_nor_labels():
    from vocmine.decide.topics import make_vectorizer

    docs = ["RT @united: flight delayed 3 hours again https://t.co/abc123 #fail",
            "@united flight delayed 45 minutes, gate agent rude www.example.com/x"]
    vec = make_vectorizer("en").fit(docs)
    vocab = set(vec.get_feature_names_out())
    assert {"flight", "delayed", "fail", "flight delayed"} <= vocab
    markup = {"united", "rt", "45", "3"}
    assert not {w for w in vocab for t in w.split() if t in markup or t.startswith(("http", "www"))}
    # BERTopic strips English documents to [A-Za-z0-9 ] first: URL remnants go too.
    assert keyword_text_lower("RT united flight delayed httpstcoabc123 3 hours") == "united flight delayed hours"
    assert strip_markup("RT @united: lost my #bag http://t.co/x") == "lost my bag"
    label = make_label(["united", "flight", "delayed", "flight delayed", "hours"],
                       [("@united flight delayed", "flight", "delayed", 9)], "en", Counter(), 12,
                       ["@united flight delayed again"] * 5)
    assert label == "flight delayed"


def test_korean_delivery_topic():
    phrases = [("생각보다 무겁다", None, "생각보다 무겁다", 30), ("배송이 늦다", "배송", "늦다", 6)]
    assert make_label(["배송", "늦다", "택배"], phrases, "ko", Counter(), 40) == "배송이 늦다"
    # Taken by a bigger topic: what these customers wrote (느려요), else the keyword that sets it apart.
    slow = [("배송이 늦다", "배송", "늦다", 17)]
    texts = ["배송이 너무 느려요.."] * 10 + ["배송이 너무 느려요"] * 7
    taken = Counter({"배송이 늦다": 1})
    assert make_label(["느리다", "배송"], slow, "ko", taken, 17, texts) == "배송이 너무 느려요"
    assert make_label(["택배", "늦다"], slow, "ko", taken, 6) == "택배: 배송이 늦다"
    # No phrase and no members: a noun with its predicate, never "사이즈 / 작다".
    assert make_label(["사이즈", "작다"], [], "ko", Counter(), 10) == "사이즈가 작다"
    assert make_label(["정", "사이즈", "작다"], [], "ko", Counter(), 10, ["정사이즈보다 작아요!"] * 10) == "정사이즈보다 작아요"


@pytest.mark.parametrize("lang,kw,phrases", [
    ("en", LUGGAGE_KW, [("too long", None, "too long", 30), ("wheel came off", "wheel", "came off", 20)]),
    ("en", ["real problem", "longer", "weight"], []),
    ("ko", ["끼다", "꽉", "어깨"], [("어깨가 아프다", "어깨", "아프다", 2), ("발볼이 끼다", "발 볼", "끼다", 2)]),
])
def test_never_two_phrases_joined_by_a_slash(lang, kw, phrases):
    for taken in (Counter(), Counter({p[0]: 1 for p in phrases})):
        label = make_label(kw, phrases, lang, taken, 20)
        assert label and " / " not in label


def test_refresh_labels_topics_end_to_end(tmp_path):
    """Through the topic stage's refresh: two topics, one with a non-fitting top phrase, one without phrases."""
    from vocmine.decide.families import refresh

    ws = vocmine.open(tmp_path / "w.db")
    conn = ws.db.conn
    texts = {1: ["@united lost my bag again", "They lost my bag.", "lost my bag in Denver, terrible service"] * 3,
             2: ["Sending it back."] * 6}
    kws = {1: ["bag", "lost", "lost bag", "luggage"], 2: ["sending sending", "sending", "sure"]}
    with conn:
        conn.execute("insert into phrases (id, phrase, language, kind, aspect, opinion) values "
                     "(1, 'terrible service', 'en', 'aspect', 'service', 'terrible')")
        sid = 0
        for tid, rows in texts.items():
            conn.execute("insert into topics (id, language, keywords, status) values (?, 'en', ?, 'active')",
                         (tid, json.dumps(kws[tid])))
            for text in rows:
                sid += 1
                conn.execute("insert into feedback (id, source, external_id, text) values (?, 's', ?, ?)",
                             (sid, str(sid), text))
                conn.execute("insert into segments (id, feedback_id, idx, text, language, complaint) "
                             "values (?, ?, 0, ?, 'en', 1)", (sid, sid, text))
                conn.execute("insert into segment_topics (segment_id, topic_id, score) values (?, ?, 1.0)", (sid, tid))
                if tid == 1:
                    conn.execute("insert into phrase_mentions (phrase_id, segment_id, feedback_id) values (1, ?, ?)",
                                 (sid, sid))
        refresh(ws, {"name": "t", "version": "1", "categories": []})
    labels = dict(conn.execute("select id, label from topics"))
    ws.close()
    assert labels == {1: "lost my bag", 2: "sending it back"}


# -- non-retail topics: a bare word or two bare keywords say nothing; what members wrote does ----------

def test_a_bare_word_gives_way_to_the_complaint_phrase_that_keeps_it():
    # Telecom: nearly every text says "sim", fewer customers' phrases say what is wrong with it.
    kw = ["sim blocked", "blocked sim", "sim", "blocked", "sim locked", "puk", "puk code", "locked"]
    phrases = [("sim blocked", "sim", "blocked", 12), ("sim locked", "sim", "locked", 5)]
    texts = (["My SIM is blocked, what is the PUK?"] * 6 + ["sim says enter puk code"] * 5
             + ["The SIM got locked after three tries."] * 4 + ["new sim please, this one is blocked"] * 3
             + ["Why is my SIM asking for a PUK?"] * 4 + ["SIM blocked!"] * 2 + ["where do I find the PUK for my sim"] * 6)
    assert make_label(kw, phrases, "en", Counter(), 90, texts) in {"sim blocked", "sim is blocked"}
    varied = ["My SIM stopped", "sim dead??", "SIM won't take the code", "the sim is asking for a code",
              "sim asks for a PUK", "got a message on the sim", "Sim issue again", "SIM now useless",
              "what is wrong with this sim", "sim keeps saying no service", "Locked out of my SIM", "SIM!!",
              "help with sim", "the SIM from the shop", "sim blocked", "is the sim broken"]
    assert make_label(kw, phrases, "en", Counter(), 90, varied) == "sim blocked"
    label = make_label(kw, [], "en", Counter(), 90, texts)  # no phrases: a written run, not the bare word
    assert len(label.split()) > 1 and "sim" in label


def test_a_how_long_question_is_labelled_as_members_asked_it():
    kw = ["long does", "long", "port long", "number long", "does port", "porting", "port", "wait"]
    texts = (["How long does a port take?"] * 5 + ["How long does it take to port my number?"] * 5
             + ["how long until my number is ported"] * 3 + ["How long does a port take to complete?"] * 4
             + ["Porting is taking so long"] * 2 + ["When will my number be ported?"] * 5
             + ["I have been waiting a long time for my port"] * 2 + ["how long do ports take"] * 2)
    label = make_label(kw, [], "en", Counter(), 60, texts)
    assert label == "how long does a port take"
    assert label not in {"long", "does"}


def test_two_bare_keywords_are_not_a_label_a_written_run_with_both_is():
    # Software support: a bigger topic is already "licence"; this one is about the licence key.
    kw = ["licence", "key", "licence key", "key invalid", "invalid", "activate", "activation"]
    texts = (["My licence key is invalid"] * 3 + ["The licence key says invalid when I activate"] * 2
             + ["licence expired?"] * 6 + ["How do I activate my licence"] * 5 + ["licence not recognised"] * 6)
    taken = Counter({"licence": 1})
    label = make_label(kw, [], "en", taken, 40, texts)
    assert ":" not in label and label.lower() != "licence"
    assert {"licence", "key"} <= set(label.lower().split())
    # Nothing written to fall back on: a pair only as the last resort, never the taken label.
    assert make_label(kw, [("licence", "licence", None, 5)], "en", taken, 40) == "key: licence"


def test_a_label_without_the_top_keyword_gives_way_to_one_that_has_it():
    kw = ["crashes", "crash", "app crashes", "update", "new update", "new", "launch", "crashes launch"]
    phrases = [("new update", "update", "new", 20), ("app crashes on launch", "app", "crashes on launch", 9)]
    assert make_label(kw, phrases, "en", Counter(), 30) == "app crashes on launch"


def test_a_bare_verb_is_spelled_out_with_its_object():
    kw = ["cancel", "cancel subscription", "subscription", "unsubscribe", "plan", "cancel plan"]
    texts = (["I want to cancel my subscription."] * 8 + ["How do I cancel?"] * 10 + ["cancel my subscription now"] * 4
             + ["Please cancel my plan"] * 4 + ["unsubscribe me"] * 6 + ["Cancel!"] * 8)
    assert make_label(kw, [], "en", Counter(), 40, texts) == "cancel my subscription"


def test_words_written_apart_or_hyphenated_match_the_keyword_they_make():
    # The vectorizer turns "top-up" into the keyword "topup", which no customer wrote.
    kw = ["topup", "did topup", "topups"]
    texts = ["Why hasn't my top-up gone through?"] * 3 + ["my top up hasn't gone through"] * 4 + ["Why?"] * 5
    label = make_label(kw, [], "en", Counter(), 30, texts)
    assert label != "topup"
    assert label.split()[0] in {"top-up", "top"}


def test_a_bare_label_of_its_own_beats_two_keywords_joined():
    # Support chat: a bigger topic is already "still pending"; "says: still pending" says nothing.
    kw = ["pending", "says", "status", "late", "hour"]
    texts = ["it is still pending"] * 6 + ["Why pending"] * 5 + ["pending"] * 8
    assert make_label(kw, [], "en", Counter({"still pending": 1}), 30, texts) == "pending"


def test_a_longer_run_with_the_top_keyword_spells_out_a_bare_word():
    kw = ["link", "card", "link card", "app", "new", "tracking"]
    texts = (["I got a new card"] * 8 + ["new card"] * 4 + ["How do I link my card"] * 5 + ["link my card to the app"] * 2
             + ["card"] * 10 + ["my card"] * 6)
    assert make_label(kw, [], "en", Counter(), 40, texts) == "link my card"


def test_an_aspect_and_an_opinion_of_different_phrases_are_not_joined():
    # Food reviews (a set the rules were not written on): "acid" from one phrase and "painful" from
    # others made "acid painful", which no customer wrote; hotels had "noise noisy" the same way.
    kw = ["acid", "stomach", "painful", "mouth", "reflux"]
    phrases = [("acid burns", "acid", "burns", 3), ("stomach painful", "stomach", "painful", 2),
               ("mouth painful", "mouth", "painful", 2)]
    assert make_label(kw, phrases, "en", Counter(), 30) == "acid burns"
    kw = ["noise", "street", "sleep", "outside", "noisy", "windows"]
    phrases = [("noise loud", "noise", "loud", 3), ("noise disturbing", "noise", "disturbing", 3),
               ("room noisy", "room", "noisy", 2), ("street noisy", "street", "noisy", 2)]
    assert make_label(kw, phrases, "en", Counter(), 30) in {"noise loud", "noise disturbing"}
