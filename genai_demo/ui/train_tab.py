"""Train tab: pick a model and data, press Start, watch the losses and the fixed-noise grid evolve.

Layout and wiring only. The handlers live in train_actions.py (plain methods, per visitor) and what
is drawn in train_view.py. The live view is a gr.Timer poll whose tick only reads the run's latest
snapshot and sends what changed since the last tick ({output name: value}; the rest is left alone): it never
computes.
"""
from __future__ import annotations

import gradio as gr

from ..i18n import t
from ..models import family, kinds, modality
from ..training.settings import LIMITS, datasets_for
from ..training.trainer import pick_device
from . import train_view as V
from .common import glossary_box
from .context import UIContext
from .curves import curve_view
from .lang import L, L_or
from .learn_tab import learn_link
from .lesson_ui import build_copy
from .outputs import Outputs
from .train_actions import TrainActions, forget_saves, serve_saves_in_place
from .train_quality import build_panel

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
START_LABEL = {"paused": "train_btn_resume", "running": "train_btn_restart", "queued": "train_btn_restart"}  # keys


def _learn_md(kind: str, lang: str = "en") -> str:
    section = family(kind).learn
    return t("train_learn", lang, link=learn_link(section, lang)) if section else ""


def _data_label(name: str):
    return L_or(f"data_{name}", V.DATASETS.get(name, name))  # translated in the browser once the catalogue has it


BATCH_INFO = {False: "train_batch_info_images", True: "train_batch_info_text"}  # catalogue keys


def tick(actions: TrainActions, view: dict | None, request: gr.Request, chosen: str | None = None) -> dict:
    """The 2 Hz poll: status, counter, curves, formulas, grid or text, timeline, Start label — only what changed.

    Returns {output name: value} for what changed ({} when nothing did; build() maps the names onto components).
    `view` (per-visitor gr.State, the "view" output) remembers what the browser already shows, so an idle tick
    sends nothing. The snapshot box (image grid or generated text) follows the run shown, or the chosen model
    while there is none. The sample-quality box is filled by its own slower timer; the tick only shows it for
    image models.
    """
    before = view or {}
    view = dict(before)
    actions.maybe_reap()
    reg = actions.ctx.registry
    run = reg.current(actions.ctx.session(request))
    snap = run.trainer.snapshot() if run else None  # one consistent copy per tick
    lang = actions.ctx.lang(request)
    d = V.status_dict(run, snap, reg.queue_position(run) if run else None)
    out = {}
    if lang != view.get("lang"):  # EN | 中文 switched: forget what the browser shows, so every text is re-sent
        view = {k: v for k, v in view.items() if k not in ("md", "counter", "label", "fam", "text", "shots", "curves")}
        view["lang"] = lang
        if chosen in kinds(view="train") and run is None:  # with a run, the run's family decides (below)
            plot_a, plot_b = V.plots(chosen)
            out.update(learn=_learn_md(chosen, lang), formula_a=plot_a.markdown_in(lang), formula_b=plot_b.markdown_in(lang))
    new_run = view.get("run") != d["run_id"] or not view.get("init")
    if new_run:
        # what the plots and the boxes show survives a new run: the browser still shows it (see V.curve_update)
        view = {"init": True, "run": d["run_id"], "pinned": False, "lang": view.get("lang"), "series_a": view.get("series_a"),
                "series_b": view.get("series_b"), "text": view.get("text")}
    text = modality(run.cfg.kind) == "text" if run else modality(chosen) == "text" if chosen in kinds(view="train") \
        else bool(view.get("text"))
    if text != view.get("text"):
        out.update(grid_box=gr.Column(visible=not text), text_box=gr.Column(visible=text),
                   quality_box=gr.Column(visible=not text), caption=V.note(text, lang))
        view["text"] = text
    md = V.status_markdown(d, lang)
    if md != view.get("md"):
        out["status"] = view["md"] = md
    counter = V.progress_html(d["step"], d["total"], d["state"], lang)
    if counter != view.get("counter"):
        out["counter"] = view["counter"] = counter
    label = START_LABEL.get(d["state"], "train_btn_start")
    if label != view.get("label"):
        out["start"] = gr.Button(value=L(label))
        view["label"] = label
    if run is None and chosen in kinds(view="train") and chosen != view.get("chosen"):
        view["chosen"] = chosen  # no run yet: the formulas follow the chosen model (e.g. a lesson link's GAN)
        plot_a, plot_b = V.plots(chosen)
        out.update(learn=_learn_md(chosen, lang), formula_a=plot_a.markdown_in(lang), formula_b=plot_b.markdown_in(lang))
    if run is None:
        if new_run:
            out.update(plot_a=None, plot_b=None, grid=None, caption=V.note(text, lang), text=None,
                       timeline=gr.Slider(maximum=1, value=0, interactive=False))
            view["series_a"] = view["series_b"] = None
        return _with_view(out, view, before)

    fam = family(run.cfg.kind).group
    plot_a, plot_b = V.plots(run.cfg.kind)
    if fam != view.get("fam"):
        out.update(formula_a=plot_a.markdown_in(lang), formula_b=plot_b.markdown_in(lang))
        view["fam"] = fam
    curves = (len(snap.history.get("step", [])), len(snap.evals.get("step", [])), snap.history.get("step", [0])[-1:])
    if new_run or curves != view.get("curves"):
        view["curves"] = curves
        for name, plot, series in (("plot_a", plot_a, "series_a"), ("plot_b", plot_b, "series_b")):
            drawn = curve_view(plot, snap.history, snap.evals, snap.changes, lang)  # y title and range, held-out marks
            if drawn is not None:  # never an empty table: the plot would not draw lines after it
                frame, options = drawn
                shown = V.curve_update(view, series, frame)
                out[name] = None if shown is None else gr.update(value=shown, **options)
    shots = (len(snap.previews), snap.previews[-1][0] if snap.previews else -1)
    if snap.previews and (new_run or shots != view.get("shots")):
        view["shots"] = shots
        last = len(snap.previews) - 1
        if not view.get("pinned"):
            s, pic = snap.previews[-1]
            out["text" if text else "grid"] = _picture(pic, run.cfg.data, lang)
            out["caption"] = V.caption(s, live=True, text=text, lang=lang, corpus=run.cfg.data)
            out["timeline"] = gr.Slider(maximum=max(1, last), value=last, interactive=last > 0)
        else:
            out["timeline"] = gr.Slider(maximum=max(1, last), interactive=True)
    if d["state"] == "failed" and view.get("warned") != run.id:
        view["warned"] = run.id
        gr.Warning(t("train_failed", lang, error=d["error"]))
    return _with_view(out, view, before)


def _with_view(out: dict, view: dict, before: dict) -> dict:
    """The tick's outputs, plus the view state when it changed (an idle tick returns {})."""
    return {**out, "view": view} if view != before else out


def _picture(preview, data: str | None = None, lang: str = "en"):
    """What a snapshot box shows: the grid picture of an image preview, the tagged lines of a text one."""
    return V.text_html(preview, data, lang) if isinstance(preview, str) else V.grid_picture(preview)


def scrub(actions: TrainActions, index, view: dict | None, request: gr.Request) -> dict:
    """Timeline slider moved: show that snapshot — {"grid" or "text", "caption", "view"}; the end of the slider
    follows live again."""
    run = actions._run(request, must_exist=False)
    snap = run.trainer.snapshot() if run else None
    lang = actions.ctx.lang(request)
    if not snap or not snap.previews:
        raise gr.Error(t("train_no_snapshots", lang))
    i = int(min(max(0, round(index or 0)), len(snap.previews) - 1))
    s, pic = snap.previews[i]
    view = dict(view or {})
    view["pinned"] = i < len(snap.previews) - 1
    text = isinstance(pic, str)
    return {"text" if text else "grid": _picture(pic, run.cfg.data, lang),
            "caption": V.caption(s, live=not view["pinned"], text=text, lang=lang, corpus=run.cfg.data),
            "view": view}


def model_changed(kind: str, data: str | None, datasets: list[str], lang: str = "en", keep: dict | None = None):
    """Show the controls of the chosen family with its defaults (learning rate, steps, batch) and only the
    data sets it can learn from: text corpora for the tiny GPT, image data sets for the others.

    keep: values that win over the defaults (a lesson link's data / lr / steps / batch_size for the model it names)."""
    spec, text = family(kind), modality(kind) == "text"
    keep = keep or {}
    data = keep.get("data", data)
    fits = datasets_for(kind, datasets)
    data = data if data in fits else spec.data if spec.data in fits else fits[0] if fits else None
    return (gr.Slider(visible="beta" in spec.knobs), gr.Slider(visible="d_steps" in spec.knobs),
            gr.Checkbox(visible=spec.light is not None), keep.get("lr", spec.lr), keep.get("steps", spec.steps),
            _learn_md(kind, lang), gr.Radio(choices=[(_data_label(n), n) for n in fits], value=data),
            gr.Slider(value=keep.get("batch_size", spec.batch_size), info=L(BATCH_INFO[text])))


def build(ctx: UIContext) -> TrainActions:
    """Lay out the Train tab inside the current gr.Tab and wire it; returns its handlers."""
    a = TrainActions(ctx)
    serve_saves_in_place()
    view = gr.State({})
    lesson = gr.State({})  # a lesson link's settings and hidden controls, set on load (ui/lesson_ui.py)
    gpu = pick_device().type == "cuda"
    first = kinds(view="train")[0]  # the model chosen when the page opens (the registry's first: the VAE)
    spec, lim = family(first), LIMITS
    with gr.Row(equal_height=False, elem_id="train-row"):  # on a phone: what, Start, the live view, then the rest (CSS)
        # ---- controls: what to train, the buttons, then the knobs -----------------------------------
        with gr.Column(scale=4, min_width=340, elem_classes="train-controls"):
            with gr.Group(elem_id="train-what"):  # what to train: fixed for the run
                model = gr.Radio([(L_or(f"family_{k}", family(k).title), k) for k in kinds(view="train")], value=first,
                                 label=L("train_model"),
                                 elem_id="train-model")
                data = gr.Radio([(_data_label(n), n) for n in datasets_for(first, a.datasets)],
                                value=spec.data, label=L("train_data"), elem_id="train-data")
                full = gr.Checkbox(gpu, label=L("train_full"), visible=False,
                                   elem_id="train-full-size", info=L("train_full_info"))
                with gr.Row():
                    steps = gr.Number(spec.steps, label=L("train_steps"), precision=0, minimum=lim["steps"].low, min_width=100,
                                      maximum=ctx.registry.max_steps, elem_id="train-steps", info=L("train_steps_info"))
                    seed = gr.Number(0, label=L("train_seed"), precision=0, minimum=lim["seed"].low, maximum=lim["seed"].high,
                                     elem_id="train-seed", min_width=100, info=L("train_seed_info"))
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
                            height=60)
            with gr.Accordion(L("train_hyper"), open=True, elem_id="train-hyper"):
                # bounds from the one limits table (training/settings.py), the same the API and the CLI check
                lr = gr.Number(spec.lr, label=L("train_lr"), minimum=lim["lr"].low, maximum=lim["lr"].high, step=1e-4,
                               elem_id="train-lr", info=L("train_lr_info"))
                batch = gr.Slider(lim["batch_size"].low, lim["batch_size"].high, spec.batch_size, step=1, label=L("train_batch"),
                                  elem_id="train-batch", info=L(BATCH_INFO[modality(first) == "text"]))
                beta = gr.Slider(lim["beta"].low, lim["beta"].high, 1.0, step=0.1, label=L("train_beta"), elem_id="train-beta",
                                 visible="beta" in spec.knobs,
                                 info=L("train_beta_info"))
                dsteps = gr.Slider(lim["d_steps"].low, lim["d_steps"].high, 1, step=1, label=L("train_dsteps"), elem_id="train-dsteps",
                                   visible="d_steps" in spec.knobs, info=L("train_dsteps_info"))
            learn = gr.Markdown(_learn_md(first), elem_classes="learn-link")
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
                    _, quality_box = build_panel(ctx)
                with gr.Column(scale=6, min_width=360):
                    p_a, p_b = V.plots(first)
                    tex_a = gr.Markdown(p_a.markdown, latex_delimiters=LATEX, elem_id="train-formula-a", elem_classes="formula")
                    plot_a = gr.LinePlot(None, x="step", y="value", color="series", show_label=False,
                                         color_map=V.colors(), height=230, elem_id="train-loss-plot", y_title=" ",
                                         color_title=" ")
                    tex_b = gr.Markdown(p_b.markdown, latex_delimiters=LATEX, elem_id="train-formula-b", elem_classes="formula")
                    plot_b = gr.LinePlot(None, x="step", y="value", color="series", show_label=False,
                                         color_map=V.colors(), height=190, elem_id="train-aux-plot", y_title=" ",
                                         color_title=" ")

    # ---- wiring -----------------------------------------------------------------------------------
    # the Start form: setting name (training.settings.checked) → its component; Gradio hands a set of inputs
    # to the handler as one {component: value} dict, so a new setting is one line here, not five signatures
    form = {"model": model, "data": data, "steps": steps, "lr": lr, "batch_size": batch, "beta": beta, "d_steps": dsteps,
            "seed": seed, "full_size": full}
    quick = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "private"}
    # Gradio passes the request only to parameters annotated gr.Request, hence small defs, not lambdas.

    def on_start(values: dict, request: gr.Request):
        a.start_or_resume({name: values[comp] for name, comp in form.items()}, request)

    def on_pause(request: gr.Request):
        a.pause(request)

    def on_step(n, request: gr.Request):
        a.step(int(n or 1), request)

    def on_reset(request: gr.Request):
        a.reset(request)

    def on_save(request: gr.Request):
        return gr.File(a.save(request), visible=True)

    def hyper(name):
        def apply(value, request: gr.Request):
            a.set_hyper(name, value, request)
        return apply

    # what the tick and the timeline may update, by the names tick() and scrub() return
    live = Outputs(status=status, counter=counter, plot_a=plot_a, plot_b=plot_b, formula_a=tex_a, formula_b=tex_b, grid=grid,
                   timeline=timeline, start=start, caption=caption, text=text, grid_box=grid_box, text_box=text_box,
                   quality_box=quality_box, learn=learn, view=view)

    def on_scrub(index, v, request: gr.Request):
        return live(scrub(a, index, v, request))

    def on_tick(v, chosen, request: gr.Request):
        return live(tick(a, v, request, chosen))

    def on_model(kind, d, les, request: gr.Request):
        keep = les.get("settings") if isinstance(les, dict) else None
        keep = keep if isinstance(keep, dict) else {}
        return model_changed(kind, d, a.datasets, ctx.lang(request), keep if keep.get("model") == kind else None)

    model.change(on_model, [model, data, lesson], [beta, dsteps, full, lr, steps, learn, data, batch], **quick)
    start.click(on_start, set(form.values()), None, concurrency_limit=2, api_visibility="private")
    pause.click(on_pause, None, None, **quick)
    step.click(on_step, step_n, None, **quick)
    reset.click(on_reset, None, None, **quick)
    save.click(on_save, None, saved, concurrency_limit=2, api_visibility="private")
    for name, comp in (("lr", lr), ("batch_size", batch), ("beta", beta), ("d_steps", dsteps)):
        for ev in (comp.submit, comp.blur) if isinstance(comp, gr.Number) else (comp.release,):
            ev(hyper(name), comp, None, **quick)
    timeline.release(on_scrub, [timeline, view], [grid, text, caption, view], trigger_mode="always_last", **quick)
    gr.Timer(0.5).tick(on_tick, [view, model], live.blocks, **quick)
    with copy_row:
        build_copy(ctx, {k: c for k, c in form.items() if k != "full_size"}, lesson)
    a.form, a.lesson = form, lesson  # for the lesson link read on load (ui/app.py → lesson_ui.wire_load)

    # ---- public API (gradio_client): see docs/api.md -----------------------------------------------
    gr.api(a.train, api_name="train", concurrency_limit=2)
    for name in ("status", "pause", "resume", "step", "stop"):
        gr.api(getattr(a, name), api_name=name, concurrency_limit=None)
    return a


def forget(ctx: UIContext, session: str) -> None:
    """Called by the app when a visitor leaves (their runs are released by the app)."""
    forget_saves(session)
