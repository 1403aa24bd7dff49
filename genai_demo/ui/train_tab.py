"""Train tab: pick a model and data, press Start, watch the losses and the fixed-noise grid evolve.

Layout and wiring only. The handlers live in train_actions.py (plain methods, per visitor) and what
is drawn in train_view.py. The live view is a gr.Timer poll whose tick only reads the run's latest
snapshot and sends what changed since the last tick ({output name: value}; the rest is left alone): it never
computes.
"""
from __future__ import annotations

import gradio as gr

from ..data import own_store
from ..models import family, kinds, modality
from ..training.settings import LIMITS, datasets_for, preset_values, space_preset
from ..training.trainer import pick_device
from . import owndata_section, zoo_panel
from . import train_preset as P
from . import train_view as V
from .common import glossary_box
from .context import UIContext
from .lang import L, L_or
from .lesson_ui import build_copy
from .outputs import Outputs
from .saves import forget_saves, serve_saves_in_place
from .train_actions import TrainActions
from .train_form import BATCH_INFO, data_label, learn_md, model_answer, reset_button
from .train_poll import FAST_S, IDLE_S, scrub, tick  # noqa: F401 — the poll and the timeline (tests reach them here)
from .train_quality import build_panel

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
LEAVE_FIELD = "() => { document.activeElement?.blur(); }"
def build(ctx: UIContext) -> TrainActions:
    """Lay out the Train tab inside the current gr.Tab and wire it; returns its handlers."""
    a = TrainActions(ctx)
    serve_saves_in_place()
    view = gr.State({})
    lesson = gr.State({})  # a lesson link's settings and hidden controls, set on load (ui/lesson_ui.py)
    gpu = pick_device().type == "cuda"
    first = kinds(view="train")[0]  # the model chosen when the page opens (the registry's first: the VAE)
    spec, lim, init = family(first), LIMITS, preset_values(first, space_preset())  # the fields' first values

    with gr.Row(equal_height=False, elem_id="train-row"):  # on a phone: what, Start, the live view, then the rest (CSS)
        # ---- controls: what to train, the buttons, then the knobs -----------------------------------
        with gr.Column(scale=4, min_width=340, elem_classes="train-controls"):
            with gr.Group(elem_id="train-what"):  # what to train: fixed for the run
                model = gr.Radio([(L_or(f"family_{k}", family(k).title), k) for k in kinds(view="train")], value=first,
                                 label=L("train_model"),
                                 elem_id="train-model")
                data = gr.Radio([(data_label(n), n) for n in datasets_for(first, a.datasets)],
                                value=spec.data, label=L("train_data"), elem_id="train-data")
                preset, preset_note = P.controls(first)
                full = gr.Checkbox(gpu, label=L("train_full"), visible=False,
                                   elem_id="train-full-size", info=L("train_full_info"))
                with gr.Row():
                    steps = gr.Number(init["steps"], label=L("train_steps"), precision=0, minimum=lim["steps"].low, min_width=100,
                                      maximum=ctx.registry.max_steps, elem_id="train-steps", info=L("train_steps_info"))
                    seed = gr.Number(a.seeds.hand_out, label=L("train_seed"), precision=0, minimum=lim["seed"].low,
                                     maximum=lim["seed"].high, elem_id="train-seed", min_width=100,
                                     info=L("train_seed_info"))
            nickname = P.nickname_box()
            with gr.Row(elem_classes="train-buttons", elem_id="train-main-buttons"):
                start = gr.Button(L("train_btn_start"), variant="primary", size="md", elem_id="train-start", min_width=60)
                pause = gr.Button(L("train_btn_pause"), size="md", elem_id="train-pause", min_width=60)
                step = gr.Button(L("train_btn_step"), size="md", elem_id="train-step", min_width=60)
                reset = gr.Button(L("train_btn_reset"), variant="stop", size="md", elem_id="train-reset", min_width=60)
            with gr.Row(elem_classes="train-buttons", equal_height=True):
                step_n = gr.Dropdown([(L(f"train_step_{n}"), n) for n in (1, 10, 100)], value=1, container=False,
                                     label=L("train_step_n"), show_label=False, elem_id="train-step-n", min_width=60, scale=1)
                save = gr.Button(L("train_btn_save"), size="md", elem_id="train-save", min_width=60, scale=1)
            saved = gr.File(label=L("train_file"), visible=False, elem_id="train-file", interactive=False,
                            height=84)  # the label badge and one file row, its bottom edge included
            with gr.Accordion(L("train_hyper"), open=True, elem_id="train-hyper"):
                # bounds from the one limits table (training/settings.py), the same the API and the CLI check
                lr = gr.Number(init["lr"], label=L("train_lr"), minimum=lim["lr"].low, maximum=lim["lr"].high, step=1e-4,
                               elem_id="train-lr", info=L("train_lr_info"))
                batch = gr.Slider(lim["batch_size"].low, lim["batch_size"].high, init["batch_size"], step=1, label=L("train_batch"),
                                  elem_id="train-batch", info=L(BATCH_INFO[modality(first) == "text"]))
                beta = gr.Slider(lim["beta"].low, lim["beta"].high, init["beta"], step=0.1, label=L("train_beta"),
                                 elem_id="train-beta", visible="beta" in spec.knobs,
                                 info=L("train_beta_info"))
                dsteps = gr.Slider(lim["d_steps"].low, lim["d_steps"].high, init["d_steps"], step=1, label=L("train_dsteps"),
                                   elem_id="train-dsteps",
                                   visible="d_steps" in spec.knobs, info=L("train_dsteps_info"))
            learn = gr.Markdown(learn_md(first), elem_classes="learn-link")
            glossary_box(ctx, ["lr", "batch", "beta", "dg", "seed", "step", "held_out"])
            copy_row = gr.Column(elem_id="lesson-copy-box")
        # ---- live view: status, then the grid (left) and the curves with their formulas (right) -----
        with gr.Column(scale=9, elem_id="train-live"):
            status = gr.Markdown(V.status_markdown(V.status_dict()), elem_id="train-status", elem_classes="train-status")
            with gr.Row(equal_height=False):
                with gr.Column(scale=6, min_width=320):
                    counter = gr.HTML(V.progress_html(0, 0, "none"), elem_id="train-step-count")
                    caption = gr.Markdown(V.note(False), elem_id="train-grid-caption", elem_classes="grid-caption")
                    with gr.Column(elem_id="train-grid-box") as grid_box:
                        grid = gr.Image(type="numpy", format="png", image_mode="L", show_label=False,
                                        interactive=False, elem_id="train-grid", buttons=["download", "fullscreen"])
                    with gr.Column(visible=False, elem_id="train-text-box") as text_box:
                        text = gr.HTML("", elem_id="train-text")
                    timeline = gr.Slider(0, 1, 0, step=1, label=L("train_timeline"), interactive=False,
                                         elem_id="train-timeline", info=L("train_timeline_info"))
                    q, quality_box = build_panel(ctx)
                with gr.Column(scale=6, min_width=360):
                    p_a, p_b = V.plots(first)
                    tex_a = gr.Markdown(p_a.markdown, latex_delimiters=LATEX, elem_id="train-formula-a", elem_classes="formula")
                    plot_a = gr.LinePlot(None, x="step", y="value", color="series", show_label=False,
                                         color_map=V.colors(), height=230, elem_id="train-loss-plot", y_title=" ",
                                         color_title=" ")
                    changes = gr.HTML("", elem_id="train-changes", visible=False)  # names the plots' grey lines (ui/curves.py)
                    tex_b = gr.Markdown(p_b.markdown, latex_delimiters=LATEX, elem_id="train-formula-b", elem_classes="formula")
                    plot_b = gr.LinePlot(None, x="step", y="value", color="series", show_label=False,
                                         color_map=V.colors(), height=190, elem_id="train-aux-plot", y_title=" ",
                                         color_title=" ")

    # ---- wiring -----------------------------------------------------------------------------------
    # the Start form: setting name (training.settings.checked) → its component; Gradio hands a set of inputs
    # to the handler as one {component: value} dict, so a new setting is one line here, not five signatures
    form = {"model": model, "data": data, "steps": steps, "lr": lr, "batch_size": batch, "beta": beta, "d_steps": dsteps,
            "seed": seed, "full_size": full, "preset": preset, "nickname": nickname}
    zoo_panel.build(ctx, a, form)  # load weights back, show as code: an accordion under the tab (ui/zoo_panel.py)
    quick = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "private"}
    # Gradio passes the request only to parameters annotated gr.Request, hence small defs, not lambdas.

    poll = gr.Timer(FAST_S)  # the live view's poll: tick() slows it to IDLE_S on an idle page; Start and Step speed it up

    a.seeds.build_seed = seed.value  # what every page shows until its own opening seed arrives (train_form.OpeningSeeds)

    def on_start(values: dict, request: gr.Request):
        settings = {name: values[comp] for name, comp in form.items()}
        settings["seed"] = a.seeds.for_start(ctx.session(request), settings["seed"])
        a.start_or_resume(settings, request)
        run = ctx.registry.current(ctx.session(request))  # the Seed field shows the run's own seed
        return gr.skip() if run is None else run.cfg.seed, gr.Timer(value=FAST_S)

    def on_pause(request: gr.Request):
        a.pause(request)

    def on_step(n, request: gr.Request):
        a.step(int(n or 1), request)
        return gr.Timer(value=FAST_S)

    def on_reset(request: gr.Request):
        return reset_button(not a.reset_click(request))

    def on_save(request: gr.Request):
        return gr.File(a.save(request), visible=True)

    def hyper(name):
        def apply(value, request: gr.Request):
            a.set_hyper(name, value, request)
        return apply

    # what the tick and the timeline may update, by the names tick() and scrub() return
    live = Outputs(status=status, counter=counter, plot_a=plot_a, plot_b=plot_b, changes=changes, formula_a=tex_a,
                   formula_b=tex_b, grid=grid, timeline=timeline, start=start, caption=caption, text=text, grid_box=grid_box,
                   text_box=text_box, quality_box=quality_box, learn=learn, preset_note=preset_note, view=view, reset=reset,
                   timer=poll)

    def on_scrub(index, request: gr.Request):
        return live(scrub(a, index, request))

    def on_tick(v, chosen, d, s, chosen_preset, pace, request: gr.Request):
        return live(tick(a, v, request, chosen, d, s, chosen_preset, pace))

    shown_kind = gr.State(first)  # the family whose defaults the form shows: what a visitor typed differs from them

    def on_model(kind, d, n, rate, previous, les, chosen_preset, request: gr.Request):
        sid = getattr(request, "session_hash", None)
        keep = les.get("settings") if isinstance(les, dict) else None  # a lesson link's values for the model it names
        keep = keep if isinstance(keep, dict) and keep.get("model") == kind else None
        if chosen_preset == "class" and kind in kinds(view="train"):
            # the class preset's values come in this same reply, not a chained one: a Start pressed in between
            # would otherwise send the articles' steps and batch with the preset's layers
            v = preset_values(kind, "class")
            keep = {"lr": v["lr"], "steps": min(v["steps"], ctx.registry.max_steps), "batch_size": v["batch_size"],
                    **(keep or {})}
        answer = model_answer(kind, d, lambda: a.datasets_of(sid), ctx.lang(request), steps=n, lr=rate,
                              previous=previous, keep=keep)  # the built-in sets + this visitor's own, as they are now
        return *answer, kind

    def on_preset(kind, chosen_preset, request: gr.Request):
        return P.fields(kind, chosen_preset, ctx.lang(request), max_steps=ctx.registry.max_steps)

    def after_model(kind, chosen_preset, request: gr.Request):
        """A new model under the class preset takes its fast settings; under the articles' settings the fields keep
        what model_changed left (the family's defaults, what the visitor typed, or a lesson link's values)."""
        if chosen_preset == "class":
            return on_preset(kind, chosen_preset, request)
        return (gr.skip(),) * 5 + (P.note(kind, chosen_preset, ctx.lang(request)),)

    preset_outputs = [lr, steps, batch, dsteps, beta, preset_note]
    model.change(on_model, [model, data, steps, lr, shown_kind, lesson, preset],
                 [beta, dsteps, full, lr, steps, learn, data, batch, shown_kind], **quick).then(
        after_model, [model, preset], preset_outputs, **quick)
    preset.change(on_preset, [model, preset], preset_outputs, **quick)
    q.after(start.click(on_start, set(form.values()), [seed, poll], concurrency_limit=2, api_visibility="private"))
    pause.click(on_pause, None, None, **quick)
    step.click(on_step, step_n, poll, **quick)
    # every press reaches the server, which decides arm or discard: the poll can show "Really discard?" before the
    # first press's own answer is back, and a second press then was dropped by Gradio's default trigger mode ("once")
    q.after(reset.click(on_reset, None, reset, trigger_mode="multiple", **quick))  # the card forgets a discarded run at once
    save.click(on_save, None, saved, concurrency_limit=2, api_visibility="private")
    for name, comp in (("lr", lr), ("batch_size", batch), ("beta", beta), ("d_steps", dsteps)):
        if isinstance(comp, gr.Number):  # Enter only leaves the field: its blur applies the value, so a bad one is
            comp.submit(None, js=LEAVE_FIELD, **quick)  # reported once (both events used to check it)
        (comp.blur if isinstance(comp, gr.Number) else comp.release)(hyper(name), comp, None, **quick)
    # input: dragging and the keyboard (Home, End, arrows); release: the end of a drag and the typed number
    gr.on([timeline.input, timeline.release], on_scrub, timeline, [grid, text, caption, timeline],
          trigger_mode="always_last", **quick)
    poll.tick(on_tick, [view, model, data, seed, preset, poll], live.blocks, **quick)
    with copy_row:  # the lesson link carries the training settings (and the preset), not the nickname or the size
        build_copy(ctx, {k: c for k, c in form.items() if k not in ("full_size", "nickname")}, lesson)
    a.form, a.lesson = form, lesson  # for the lesson link read on load (ui/app.py → lesson_ui.wire_load)

    owndata_section.build(ctx, a, model, data)  # "Train on your own images or text" (ui/owndata_section.py)

    # ---- public API (gradio_client): see docs/api.md -----------------------------------------------
    gr.api(a.train, api_name="train", concurrency_limit=2)
    for name in ("status", "pause", "resume", "step", "stop"):
        gr.api(getattr(a, name), api_name=name, concurrency_limit=None)
    return a


def forget(ctx: UIContext, session: str) -> None:
    """Called by the app when a visitor leaves (their runs are released by the app)."""
    forget_saves(session)
    zoo_panel.forget_code(session)
    own_store.STORE.release(session)  # their own images and text go too
    ctx.pins.forget(session)
