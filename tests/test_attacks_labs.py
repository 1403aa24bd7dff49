"""The Labs tab and its "Compare two runs" section over Gradio's raw queue protocol, as a script would send them
(tests/helpers/attack.py): unknown and ill-typed lab ids, missing / out-of-range / wrong-typed predictions, "run"
without a prediction, too few values, huge strings, fresh session hashes that never loaded the page.

Each refusal must be one clean line in the catalogue's words (in the visitor's language; never Gradio's English
"Value: 'x' (type: <class 'str'>) is not in the list of choices: [...]"), start no run, and leave the server and the
other visitors' sessions working.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402

from genai_demo.i18n import t  # noqa: E402
from genai_demo.ui.labs_tab import IDLE_S, MEASURE_S  # noqa: E402
from tests.helpers import serve_app  # noqa: E402
from tests.helpers.attack import Gradio, clean, new_session  # noqa: E402

HUGE = "x" * 500_000  # under the 1 MB body limit: it reaches the event
LAB = "mode-collapse"  # three predictions: 0, 1, 2


@pytest.fixture(scope="module")
def served():
    with serve_app(max_running=1, max_steps=5000) as (url, ctx):
        yield url, ctx


class Labs(Gradio):
    """One session speaking to the Labs tab's events (all private: the page calls them by fn_index)."""

    def __init__(self, url: str, session: str | None = None):
        super().__init__(url, session or new_session())
        comps = {c["id"]: c.get("props", {}).get("elem_id") for c in self.config["components"]}
        ticks = [d for d in self.config["dependencies"] if d["targets"] and d["targets"][0][1] == "tick"]

        def timer(first_input):  # timers have no elem_id: known by what they read (the measure timer by its name)
            found = [d["id"] for d in ticks if (first_input and [comps.get(i) for i in d["inputs"][:1]] == first_input)
                     or (not first_input and d.get("api_name") == "on_measure")]
            assert len(found) == 1, (first_input, found)
            return found[0]

        self.ids = {"pick": self.fn_index("labs-pick", "input"), "choice": self.fn_index("labs-choice", "change"),
                    "run": self.fn_index("labs-run"), "tick": timer(["labs-pick"]), "measure": timer([]),
                    "compare": timer(["compare-a"])}

    def send(self, event: str, data: list) -> tuple[bool, object]:
        return self.outcome(self.ids[event], data)


def refused(out, lang: str = "en") -> str:
    ok, msg = out
    assert not ok, out
    assert isinstance(msg, str) and 0 < len(msg) < 300 and "\n" not in msg and clean(msg), msg
    assert "<class" not in msg and "Value:" not in msg and "x" * 50 not in msg, msg  # Gradio's English, an echo
    return msg


def not_a_choice(lang: str = "en") -> str:
    return t("err_not_a_choice", lang, got="\0").split("\0")[0]  # the sentence before the value


# ---------------------------------------------------------------------------------------------------
# lab ids


@pytest.mark.parametrize("bad", ["nope", 42, ["mode-collapse"], {"lab": LAB}, HUGE, True],
                         ids=["unknown", "number", "list", "dict", "huge", "bool"])
def test_a_lab_that_does_not_exist_is_refused_in_plain_words(served, bad):
    url, ctx = served
    g = Labs(url)
    for event, data in (("pick", [bad]), ("run", [bad, 0]), ("tick", [bad, None, 1])):
        assert refused(g.send(event, data)).startswith(not_a_choice()), (event, bad)
    assert ctx.registry.runs(g.session) == []


def test_run_without_a_lab_says_pick_one(served):
    url, ctx = served
    g = Labs(url)
    assert refused(g.send("run", [None, 0])) == t("labs_err_pick", "en")
    assert ctx.registry.runs(g.session) == []


# ---------------------------------------------------------------------------------------------------
# predictions


@pytest.mark.parametrize("bad", [None, True, False, 1.5, "0", 99, -1, [0], {"choice": 0}, HUGE],
                         ids=["none", "true", "false", "float", "text", "high", "negative", "list", "dict", "huge"])
def test_run_without_a_valid_prediction_starts_nothing(served, bad):
    url, ctx = served
    g = Labs(url)
    msg = refused(g.send("run", [LAB, bad]))
    assert msg == t("labs_choose_first", "en") or msg.startswith(not_a_choice()), msg
    assert ctx.registry.runs(g.session) == [] and ctx.registry.sessions() == 0  # no place taken either
    if bad is not None and bad is not True and bad is not False and bad != 1.5:
        assert refused(g.send("choice", [bad])).startswith(not_a_choice())  # the radio's own event too


@pytest.mark.parametrize("event, data, needed", [("run", [], 2), ("run", [LAB], 2), ("pick", [], 1), ("tick", [LAB], 3),
                                                 ("compare", [None, None], 5)])
def test_too_few_values_are_counted_not_crashed(served, event, data, needed):
    url, _ = served
    msg = refused(Labs(url).send(event, data))
    assert msg == t("err_input_count", "en", needed=needed, got=len(data)), msg


def test_a_chinese_visitor_reads_the_refusals_in_chinese(served):
    url, ctx = served
    g = Labs(url)
    ctx.set_lang(g.session, "zh-CN")  # what the page's load event does for a Chinese page
    try:
        assert refused(g.send("run", ["nope", 0])) == t("err_not_a_choice", "zh-CN", got="'nope'")
        assert refused(g.send("run", [LAB, None])) == t("labs_choose_first", "zh-CN")
        assert refused(g.send("run", [None, 0])) == t("labs_err_pick", "zh-CN")
        assert refused(g.send("compare", [])) == t("err_input_count", "zh-CN", needed=5, got=0)
    finally:
        ctx.langs.pop(g.session, None)


# ---------------------------------------------------------------------------------------------------
# fresh sessions, compare, and the server carrying on


@pytest.mark.parametrize("pace", ["x", None, [1], {"a": 1}, True, -1, 1e308, HUGE], ids=str)
def test_any_pace_a_script_sends_gets_the_right_one_back(served, pace):
    """The ticks read their own timer's interval; a script may send anything there: never a crash, and the answer
    sets the pace the visitor's state calls for (nothing to run: the idle one), or leaves it alone (None)."""
    url, _ = served
    g = Labs(url)
    want = {"__type__": "update"} if pace is None else {"value": IDLE_S, "__type__": "update"}
    assert g.send("measure", [pace]) == (True, [want])
    for event, data in (("tick", [LAB, None, pace]), ("compare", [None, None, None, None, pace])):
        ok, out = g.send(event, data)
        assert ok and out[-1] == want, (event, out)


def test_fresh_sessions_get_the_idle_views_and_hold_nothing(served):
    url, ctx = served
    for _ in range(5):  # a new session hash each time, none of which ever loaded the page
        g = Labs(url)
        assert g.send("measure", [MEASURE_S]) == (True, [{"value": IDLE_S, "__type__": "update"}])  # nothing to do: slow
        ok, out = g.send("tick", [LAB, None, 1])
        assert ok and t("labs_idle", "en") in out and out[-1] == {"value": IDLE_S, "__type__": "update"}, out
        ok, out = g.send("compare", [None, None, None, None, 1])
        assert ok and t("compare_none", "en", n=ctx.registry.max_per_session) in out, out
        assert out[-1] == {"value": IDLE_S, "__type__": "update"}, out  # no run trains: the tick slows down
        for bad in (["r1", "r2", "loss", None, 1], [HUGE, None, None, None, 1], [1, 2, 3, None, 1], [[1], {"a": 1}, 2.5, None, 1]):
            assert refused(g.send("compare", bad)).startswith(not_a_choice()), bad  # runs this session never had
    assert ctx.registry.sessions() == 0
    assert not ctx.langs  # no language, no lab desk entry: nothing kept for a caller that never loaded the page


def test_a_real_visitor_is_served_while_a_script_attacks(served):
    url, ctx = served
    me, script = Labs(url), Labs(url)
    try:
        ok, (hint, *_) = me.send("run", ["gan-learns", 0])
        assert ok and hint == t("labs_started", "en", run=ctx.registry.current(me.session).id)
        for data in (["nope", 0], [LAB, HUGE], [None, None], []):
            refused(script.send("run", data))
        assert script.send("measure", [MEASURE_S]) == (True, [{"value": IDLE_S, "__type__": "update"}])
        assert me.send("measure", [MEASURE_S]) == (True, [{"__type__": "update"}])  # a lab trains: the pace stays fast
        ok, out = me.send("tick", ["gan-learns", None, 1])
        assert ok and t("labs_idle", "en") not in out  # the visitor's lab is shown, not the idle line
        assert out[-1] == {"__type__": "update"}, out  # and the tick stays at its fast pace while the lab trains
        ok, out = me.send("compare", [None, None, None, None, 1])
        assert out[-1] == {"__type__": "update"}, out
        mine = ctx.registry.current(me.session).id
        assert ok and out[0]["choices"] == [[f"{mine} · GAN · mnist5k · lr 0.001 · batch 64 · D:G 1 · seed 7 · steps 3,000",
                                            mine]]
        assert me.send("compare", [mine, None, None, None, 1])[0]  # its own run is a valid pick
        assert refused(script.send("compare", [mine, None, None, None, 1])).startswith(not_a_choice())  # not another's
        assert ctx.registry.runs(script.session) == [] and ctx.registry.sessions() == 1
        assert Gradio(url).call("status", [])[0] == "complete"  # and an API caller is answered as usual
    finally:
        ctx.registry.release(me.session)
