"""A judgement laid out for people: one row per score beside what real images get, and the class histogram.

Plain data, no gradio: ``Report.of(scores)`` turns a judge() / score_images() result (genai_demo/quality/scores.py)
into rows and counts; the CLI prints it as a text table (``format_table``), the "judge" API returns it as Markdown
(``format_markdown``), and the GAN studio shows the rows as a Markdown table (``markdown_table``) beside the
histogram drawn as bars.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import t
from .scores import CLASS_SHARE


@dataclass(frozen=True)
class Row:
    metric: str
    samples: str  # the samples' score, formatted
    real: str  # what real images of the same data set score; "" where there is no such baseline
    note: str  # how to read the number


# metrics whose value depends on how many samples were scored: their name says it, so the Train tab's card (200 samples)
# and the GAN studio's Judge (500) are read as two different measurements, each next to real images of the same count
NAMED_BY_N = {"frechet": "walk_r_frechet_n"}


@dataclass(frozen=True)
class Report:
    title: str  # e.g. "GAN on mnist5k · 500 samples (seed 3)"
    rows: list[Row]
    class_names: list[str]
    histogram: list[int]  # samples the classifier puts in each class, same order as class_names

    @classmethod
    def of(cls, s: dict, lang: str = "en") -> Report:
        """The rows of a judge() / score_images() result: only the scores it holds (Fréchet needs enough
        samples, label accuracy a conditional model, the nearest image a search, the ELBO a VAE)."""
        k = len(s["histogram"])

        def row(key, samples, real, **kw):  # the catalogue's r_{key} names the metric, r_{key}_note says how to read it
            return Row(t(NAMED_BY_N.get(key, f"r_{key}"), lang, **{"n": s["n"]} if key in NAMED_BY_N else {}), samples, real,
                       t(f"r_{key}_note", lang, **kw))
        rows = [row("confidence", f"{s['confidence']:.3f}", f"{s['real_confidence']:.3f}"),
                row("covered", f"{s['classes_covered']}/{k}", f"{s['real_classes_covered']}/{k}", share=f"{CLASS_SHARE:.0%}")]
        if "frechet" in s:
            rows.append(row("frechet", f"{s['frechet']:.2f}", f"{s['frechet_real']:.2f}", n=s["n"]))
        if "label_acc" in s:
            rows.append(row("label_acc", f"{s['label_acc']:.3f}", ""))
        if "nn_dist" in s:
            rows.append(row("nn", f"{s['nn_dist']:.2f}", f"{s['nn_dist_real']:.2f}", min=f"{s['nn_dist_min']:.2f}"))
        if "neg_elbo" in s:
            rows += [row("elbo", f"{s['neg_elbo']:.1f}", "", recon=f"{s['recon_nats']:.1f}", kl=f"{s['kl']:.1f}"),
                     row("mse", f"{s['recon_mse']:.4f}", ""),
                     row("ssim", f"{s['recon_ssim']:.3f}", "")]
        title = t("r_title", lang, kind=s.get("kind", "images").upper(), data=s["data"], n=s["n"]) + (
            t("r_title_seed", lang, seed=s["seed"]) if "seed" in s else "")
        names = s.get("class_names") or [str(i) for i in range(k)]
        return cls(title, rows, list(names), list(s["histogram"]))


def _histogram_line(r: Report) -> str:
    return "  ".join(f"{name}:{c}" for name, c in zip(r.class_names, r.histogram, strict=True))


def format_table(r: Report) -> str:
    """Plain text for the CLI: the title, the rows in aligned columns, the class histogram on one line."""
    head = Row("metric", "samples", "real", "")
    w = [max(len(getattr(row, f)) for row in [head, *r.rows]) for f in ("metric", "samples", "real")]  # column widths
    lines = [f"{row.metric:<{w[0]}}  {row.samples:>{w[1]}}  {row.real:>{w[2]}}  {row.note}".rstrip() for row in [head, *r.rows]]
    return "\n".join([r.title, *lines, f"class histogram  {_histogram_line(r)}"])


def markdown_table(r: Report, lang: str = "en") -> str:
    """The title and the rows as a Markdown table (the GAN studio draws the histogram as bars beside it)."""
    lines = [f"**{r.title}**", "", t("r_header", lang), "|---|---:|---:|---|"]
    return "\n".join(lines + [f"| {row.metric} | {row.samples} | {row.real} | {row.note} |" for row in r.rows])


def format_markdown(r: Report) -> str:
    """The whole report as Markdown, for the "judge" API: the table, then the class histogram on one line."""
    return f"{markdown_table(r)}\n\nClass histogram: {_histogram_line(r)}"
