"""The offline recipe behind the shipped checkpoints (training/recipe.py): the EMA covers G only, G's BatchNorm
statistics are re-estimated for the averaged weights, the learning rate decays, and the best evaluated state is kept."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from genai_demo.training import recipe
from genai_demo.training.checkpoints import load_checkpoint


def test_gan_recipe_keeps_the_best_averaged_state_and_saves_it(tmp_path):
    logged = []
    r = recipe.Recipe(model="gan", data="mnist5k", steps=12, lr=2e-4, ema=0.5, eval_every=6, eval_n=200)
    best, record = recipe.train(r, log=logged.append)
    assert sum(line.startswith("step") for line in logged) == 2 and record["step"] in (6, 12) and record["key"] < float("inf")
    assert not best.training  # a sampler: eval mode, never the live model
    # the averaged G is not the live one; D is kept for further training
    bns = [m for m in best.G.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert bns and all(m.momentum == 0.1 and m.num_batches_tracked > 0 for m in bns)
    out = tmp_path / "g.safetensors"
    recipe.main(["--model", "gan", "--steps", "4", "--eval-every", "2", "--ema", "0.9", "--out", str(out)])
    model, meta = load_checkpoint(out, expected_kind=("gan",))
    assert meta["meta"]["recipe"]["ema"] == 0.9 and meta["meta"]["steps"] in (2, 4), meta


def test_learning_rate_holds_then_decays_linearly(monkeypatch):
    seen = []
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.append(self.param_groups[0]["lr"])
        return orig(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    r = recipe.Recipe(model="vae", data="mnist5k", steps=10, lr=1e-3, decay_from=0.5, lr_end=0.1, eval_every=10, eval_n=200)
    _, record = recipe.train(r, log=lambda s: None)
    assert seen[:5] == [1e-3] * 5
    assert all(a > b for a, b in zip(seen[5:], seen[6:], strict=False))  # strictly decaying after half the run
    assert abs(seen[-1] - 1e-3 * (1 - 0.9 * (0.9 - 0.5) / 0.5)) < 1e-12  # step 10 of 10: 80 % of the way down
    assert "neg_elbo" in record["scores"]  # VAEs are chosen by held-out −ELBO


# ---- random translations (training/augment.py) and the VAE's dynamic binarisation -------------------------------
def test_shift_moves_each_image_within_k_pixels_and_passes_gradients():
    from genai_demo.training.augment import shift
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 14, 14] = 1.0  # one lit pixel in the middle of every image
    x.requires_grad_(True)
    out = shift(x, 2, torch.Generator().manual_seed(0))
    where = out.detach()[:, 0].flatten(1).argmax(1)
    dy, dx = where // 28 - 14, where % 28 - 14
    assert out.shape == x.shape and (dy.abs() <= 2).all() and (dx.abs() <= 2).all()
    assert len(set(zip(dy.tolist(), dx.tolist(), strict=True))) > 10  # each image its own shift, not one for all
    assert torch.equal(out.detach().sum((1, 2, 3)), torch.ones(64))  # moved, not blurred or lost
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # differentiable: G learns through D's shifted view
    assert shift(x, 0, torch.Generator()) is x  # k = 0: off


def test_diffaug_shifts_what_d_sees_and_saves_a_plain_d(tmp_path):
    from genai_demo.models.gan import MLPDiscriminator
    from genai_demo.training.augment import AugmentedD
    d = MLPDiscriminator(0, 0.2)
    aug = AugmentedD(d, 2, torch.Generator().manual_seed(0))
    x = -torch.ones(4, 1, 28, 28)  # all background: a shift must fill with background (-1), not grey (0)
    assert torch.allclose(aug(x), d(x))
    out = tmp_path / "g.safetensors"
    recipe.main(["--model", "gan", "--steps", "4", "--eval-every", "4", "--diffaug", "2", "--out", str(out)])
    model, meta = load_checkpoint(out, expected_kind=("gan",))  # strict loader: D's keys are the plain model's
    assert meta["meta"]["recipe"]["diffaug"] == 2 and not isinstance(model.D, AugmentedD)


def test_binarize_trains_on_bernoulli_draws(monkeypatch):
    seen = []
    from genai_demo.models.vae import VAE
    orig = VAE.train_step

    def spy(self, x, *a, **k):
        seen.append(x.clone())
        return orig(self, x, *a, **k)

    monkeypatch.setattr(VAE, "train_step", spy)
    r = recipe.Recipe(model="vae", data="mnist5k", steps=3, lr=1e-3, binarize=True, augment=1, eval_every=3, eval_n=200)
    recipe.train(r, log=lambda s: None)
    assert len(seen) == 3 and all(set(x.unique().tolist()) == {0.0, 1.0} for x in seen)  # only 0 / 1 pixels


def test_cutout_blanks_one_square_per_image_and_passes_gradients():
    from genai_demo.training.augment import AugmentedD, cutout
    x = torch.ones(64, 1, 28, 28, requires_grad=True)
    out = cutout(x, 0.5, torch.Generator().manual_seed(0))
    holes = out.detach()[:, 0] == 0  # (64, 28, 28)
    sizes = holes.sum((1, 2))
    assert sizes.max() == 14 * 14 and sizes.min() > 0  # a 14 x 14 square, cut short where it overhangs an edge
    rows, cols = holes.any(2), holes.any(1)  # (64, 28) each: a square, so its pixels = its rows x its columns
    assert torch.equal(sizes, rows.sum(1) * cols.sum(1))
    assert len({tuple(r.nonzero()[0].tolist()) for r in rows}) > 5  # each image its own place
    out.sum().backward()
    assert torch.equal(x.grad[:, 0] == 0, holes)  # differentiable: the kept pixels pass gradients, the hole none
    assert cutout(x, 0.0, torch.Generator()) is x  # 0: off

    class Eye(torch.nn.Module):  # a "D" that returns what it was shown
        def forward(self, x, cond=None):
            return x

    seen = AugmentedD(Eye(), 0, torch.Generator().manual_seed(0), cut=0.5)(-torch.ones(2, 1, 28, 28))
    assert torch.all(seen == -1)  # the hole is black, like the background, not mid-grey


def test_d_lr_slows_d_alone_and_select_confidence_keeps_the_most_confident(monkeypatch):
    seen = {}
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.setdefault(id(self), []).append(self.param_groups[0]["lr"])
        return orig(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    scores = iter([{"confidence": 0.5, "frechet": 10.0}, {"confidence": 0.9, "frechet": 50.0}])
    monkeypatch.setattr(recipe, "judge", lambda *a, **k: {**next(scores), "classes_covered": 10, "histogram": [0.1] * 10})
    r = recipe.Recipe(model="gan", data="mnist5k", steps=4, lr=2e-4, d_lr=5e-5, eval_every=2, eval_n=200,
                      decay_from=1.0, select="confidence")
    _, record = recipe.train(r, log=lambda s: None)
    assert sorted(set(v) for v in seen.values()) == [{5e-5}, {2e-4}]  # D at its own rate, G at the recipe's
    assert record["step"] == 4 and record["scores"]["frechet"] == 50.0  # the confident state, not the low Fréchet one


def test_class_floor_passes_over_a_state_that_only_just_covers_a_class(monkeypatch, tmp_path):
    # three evaluations: the middle one is the most confident but holds only 5.5 % of one class
    hists = [[100] * 10, [145] + [95] * 8 + [55], [100] * 10]
    confs = iter([0.80, 0.90, 0.85])
    calls = iter(hists)
    monkeypatch.setattr(recipe, "judge", lambda *a, **k: {"confidence": next(confs), "frechet": 9.0,
                                                          "classes_covered": 10, "histogram": next(calls)})
    r = recipe.Recipe(model="gan", data="mnist5k", steps=3, lr=2e-4, eval_every=1, eval_n=1000, select="confidence",
                      class_floor=0.06)
    _, record = recipe.train(r, log=lambda s: None)
    assert record["step"] == 3 and record["scores"]["min_share"] == 0.1  # not step 2 (0.90 but 5.5 % < 6 %)
    confs, calls = iter([0.80, 0.90, 0.85]), iter(hists)
    _, record = recipe.train(dataclasses.replace(r, class_floor=0.05), log=lambda s: None)
    assert record["step"] == 2  # the judge's own 5 % bar: step 2 covers every class
    logged = []
    confs, calls = iter([0.80, 0.90, 0.85]), iter([hists[1]] * 3)
    _, record = recipe.train(r, log=logged.append)
    assert record["step"] == 2 and "kept the best of them anyway" in logged[-1]  # none met it: said, not hidden
    with pytest.raises(SystemExit):
        recipe.main(["--model", "gan", "--steps", "2", "--class-floor", "0.5", "--out", str(tmp_path / "x.safetensors")])


def test_topk_lets_only_the_best_fakes_teach_g_and_leaves_d_step_alone(tmp_path):
    from genai_demo.training.augment import TopKD

    class Lin(torch.nn.Module):  # logits = x · w, so the gradients can be written down
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.linspace(-1, 1, 4))

        def forward(self, x, cond=None):
            return x @ self.w

    d = TopKD(Lin(), nu=0.5)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(d(x), x @ d.d.w)  # D's step (no graph on the fakes): plain logits
    d.set_epoch(0)
    assert d.keep == 1.0
    d.set_epoch(1000)
    assert d.keep == 0.5  # decayed (0.99 per epoch) down to nu
    fake = x.clone().requires_grad_(True)
    out = d(fake)
    torch.nn.functional.softplus(-out).mean().backward()  # G's loss −log D(G(z)), as gan.g_loss_fn
    logits = (x @ d.d.w).detach()
    best = logits.topk(4).indices
    ref = x.clone().requires_grad_(True)
    torch.nn.functional.softplus(-(ref @ d.d.w)[best]).mean().backward()
    assert torch.allclose(out.detach(), logits)  # the loss shown is unchanged ...
    assert torch.allclose(fake.grad, ref.grad)  # ... its gradient is the mean over the 4 most real-looking fakes
    assert fake.grad[logits.topk(4, largest=False).indices].abs().sum() == 0  # the worst teach nothing
    out = tmp_path / "g.safetensors"
    recipe.main(["--model", "gan", "--steps", "4", "--eval-every", "4", "--topk", "0.5", "--diffaug", "1",
                 "--out", str(out)])
    model, meta = load_checkpoint(out, expected_kind=("gan",))
    assert meta["meta"]["recipe"]["topk"] == 0.5 and not isinstance(model.D, TopKD)


def test_r1_penalises_d_s_input_gradient_at_real_images_every_k_steps(tmp_path, monkeypatch):
    from genai_demo.training.penalty import r1_penalty, r1_step

    class Quad(torch.nn.Module):  # logits = ½‖x‖²·a + x·w: ∂D/∂x = a·x + w, so ‖∇‖² can be written down
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(0.5))
            self.w = torch.nn.Parameter(torch.linspace(-1, 1, 4))

        def forward(self, x, cond=None):
            x = x.flatten(1)
            return 0.5 * self.a * x.pow(2).sum(1) + x @ self.w

    d = Quad()
    x = torch.randn(8, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    want = (d.a.detach() * x.flatten(1) + d.w.detach()).pow(2).sum(1).mean()
    assert torch.allclose(r1_penalty(d, x, None), want)
    opt = torch.optim.SGD(d.parameters(), lr=0.01)
    before = r1_step(d, x, None, gamma=1.0, every=4, opt=opt)
    assert abs(before - want.item()) < 1e-5 and r1_penalty(d, x, None).item() < before  # the step flattens D there
    assert x.grad is None  # the real images are left alone

    calls = []
    monkeypatch.setattr(recipe, "r1_step", lambda d, real, cond, g, k, opt: calls.append((real.min(), g, k)) or 0.0)
    out = tmp_path / "c.safetensors"
    recipe.main(["--model", "cgan", "--steps", "8", "--eval-every", "8", "--r1", "2", "--r1-every", "4", "--diffaug", "1",
                 "--out", str(out)])
    assert len(calls) == 2 and all(lo >= -1 and g == 2.0 and k == 4 for lo, g, k in calls)  # steps 4 and 8, in [-1, 1]
    _, meta = load_checkpoint(out, expected_kind=("cgan",))
    assert meta["meta"]["recipe"]["r1"] == 2.0


def test_init_starts_a_second_stage_from_a_saved_checkpoint(tmp_path, monkeypatch):
    # stage 1 saves G (averaged) and D; stage 2 (--init) must begin from exactly those weights, not fresh ones
    from genai_demo.models.gan import GAN
    from genai_demo.training.checkpoints import CheckpointError

    first = tmp_path / "stage1.safetensors"
    recipe.main(["--model", "gan", "--steps", "3", "--eval-every", "3", "--eval-n", "200", "--out", str(first)])
    saved, _ = load_checkpoint(first)
    seen, orig = {}, GAN.train_step

    def spy(model, *a, **k):  # the weights the first step of stage 2 trains from
        seen.setdefault("state", {name: v.clone() for name, v in model.state_dict().items()})
        return orig(model, *a, **k)

    monkeypatch.setattr(GAN, "train_step", spy)
    recipe.train(recipe.Recipe(model="gan", data="mnist5k", steps=1, lr=2e-4, eval_every=1, eval_n=200, init=str(first)),
                 log=lambda s: None)
    assert seen["state"].keys() == saved.state_dict().keys()
    for name, v in saved.state_dict().items():
        assert torch.equal(seen["state"][name], v), name
    second = tmp_path / "stage2.safetensors"  # the saved file counts both stages' steps and keeps both commands
    recipe.main(["--model", "gan", "--steps", "2", "--eval-every", "2", "--eval-n", "200", "--init", str(first),
                 "--out", str(second)])
    one, two = load_checkpoint(first)[1]["meta"], load_checkpoint(second)[1]["meta"]
    assert two["steps"] == one["steps"] + 2 and two["stages"] == [one["command"], two["command"]], two
    with pytest.raises(SystemExit):  # sizes come from the file: a --config beside --init would be silently ignored
        recipe.main(["--model", "gan", "--steps", "1", "--init", str(first), "--config", '{"z_dim": 8}', "--out", str(second)])
    with pytest.raises(CheckpointError, match="GAN checkpoint; this needs DCGAN"):  # another family: the loader's message
        recipe.train(recipe.Recipe(model="dcgan", data="mnist5k", steps=1, lr=2e-4, init=str(first)), log=lambda s: None)
