"""Issue 16 item 3: N MLP GANs stepping as one batched ensemble give each member the losses and weights it gets
trained alone with the same seed (within float tolerance: batched matmuls sum in another order) — also when members
arrive with Adam state of their own (moments, step counts) and learning rates of their own."""
from __future__ import annotations

import pytest
import torch

from genai_demo.models.base import Hyper
from genai_demo.models.gan import CGAN, GAN, CGANConfig, GANConfig
from genai_demo.training.ensemble import GANEnsemble
from tests.helpers import TinyDigits as Digits

pytestmark = pytest.mark.usefixtures("one_thread")  # one intra-op thread (tests/conftest.py)


def member(seed: int, device: str = "cpu", family=GAN) -> GAN:
    torch.manual_seed(seed)
    return family(family.Config(z_dim=16)).to(device)


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU (bench/gpu_check.sh)")


@pytest.mark.parametrize("d_steps, device, family", [(1, "cpu", GAN), (2, "cpu", GAN), (1, "cpu", CGAN),
                                                     pytest.param(1, "cuda", GAN, marks=CUDA)])
def test_an_ensemble_steps_each_member_like_it_trains_alone(d_steps, device, family):
    hp, data, seeds, steps = Hyper(lr=2e-4, batch_size=16, d_steps=d_steps), Digits(), [0, 1, 2], 4
    data.x, data.y = data.x.to(device), data.y.to(device)
    alone = []
    for s in seeds:
        m, g = member(s, device, family), torch.Generator().manual_seed(100 + s)
        opts = m.make_optimizers(hp)
        alone.append(([m.train_step(*data.batch(hp.batch_size, g), opts, hp, g) for _ in range(steps)], m))
    together = [member(s, device, family) for s in seeds]
    ens = GANEnsemble(together, hp)
    gens = [torch.Generator().manual_seed(100 + s) for s in seeds]
    logs = [ens.step(data, gens) for _ in range(steps)]  # logs[step][member]
    ens.write_back()
    for i, (losses, m) in enumerate(alone):
        for t in range(steps):
            for k in ("d_loss", "g_loss", "d_real", "d_fake"):
                assert logs[t][i][k] == pytest.approx(losses[t][k], rel=1e-4, abs=1e-5), (i, t, k)
            assert logs[t][i]["d_acc"] == pytest.approx(losses[t]["d_acc"], abs=2 / 32)  # a logit at 0 may flip
        for (name, a), b in zip(m.state_dict().items(), together[i].state_dict().values(), strict=True):
            same_weights(a, b, hp.lr, steps, (i, name))
    assert any(logs[0][i]["d_loss"] != logs[0][0]["d_loss"] for i in (1, 2))  # the members really differ


def same_weights(a: torch.Tensor, b: torch.Tensor, lr: float, steps: int, where) -> None:
    """Weights after `steps` Adam steps from the same start, summed in another order. Adam divides by √v, so an element
    whose gradient is float noise moves by up to lr either way (its first step is lr·sign(g)): on one CPU the CGAN's
    third member had 3.6 % of a layer's elements 1e-5 to 4e-4 apart, with losses equal to 1e-4. So: every element
    within the most Adam can move it (2·lr a step), and on average within 5 % of one step — a wrong learning rate, a
    skipped step or another member's gradient moves all of them by about lr."""
    d = (a.float() - b.float()).abs()
    assert float(d.max()) <= 2 * lr * steps, (where, float(d.max()))
    assert float(d.mean()) <= 0.05 * lr, (where, float(d.mean()))


def test_only_mlp_gans_of_one_family_and_shape_make_an_ensemble():
    with pytest.raises(ValueError, match="same family and shape"):
        GANEnsemble([GAN(GANConfig(z_dim=16)), GAN(GANConfig(z_dim=8))], Hyper())
    with pytest.raises(ValueError, match="same family and shape"):
        GANEnsemble([GAN(GANConfig(z_dim=16)), CGAN(CGANConfig(z_dim=6))], Hyper())  # 16 + 0 = 6 + 10 wide inputs
    from genai_demo.models.dcgan import DCGAN

    with pytest.raises(ValueError, match="MLP GANs or CGANs"):
        GANEnsemble([DCGAN()], Hyper())


def test_members_keep_their_own_adam_state_and_learning_rate():
    """Members that trained alone for different numbers of steps, at different lrs, continue in the ensemble exactly as
    they would alone: its StackedAdam starts from their moments and step counts and gives them back (write_back)."""
    hp, data, seeds, before, steps = Hyper(lr=2e-4, batch_size=16), Digits(), [0, 1, 2], [0, 3, 5], 3
    lrs = [2e-4, 1e-3, 5e-4]

    def warmed(i):  # member i after `before[i]` steps alone at its own lr: (model, its optimisers, its generator)
        m, g = member(seeds[i]), torch.Generator().manual_seed(100 + i)
        opts = m.make_optimizers(Hyper(lr=lrs[i], batch_size=16))
        for _ in range(before[i]):
            m.train_step(*data.batch(hp.batch_size, g), opts, hp, g)
        return m, opts, g

    alone = []
    for i in range(3):
        m, opts, g = warmed(i)
        alone.append([m.train_step(*data.batch(hp.batch_size, g), opts, hp, g) for _ in range(steps)] + [m, opts])
    runs = [warmed(i) for i in range(3)]
    ens = GANEnsemble([m for m, _, _ in runs], hp, [o for _, o, _ in runs])
    logs = [ens.step(data, [g for _, _, g in runs]) for _ in range(steps)]
    ens.write_back()
    for i, (m, opts, _) in enumerate(runs):
        for t in range(steps):
            for k in ("d_loss", "g_loss", "d_real", "d_fake"):
                assert logs[t][i][k] == pytest.approx(alone[i][t][k], rel=1e-4, abs=1e-5), (i, t, k)
        ref_m, ref_opts = alone[i][steps], alone[i][steps + 1]
        for a, b in zip(ref_m.parameters(), m.parameters(), strict=True):
            assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), (i, (a - b).abs().max())
        for net in ("g", "d"):  # the Adam state written back is the one the member has alone
            for p_ref, p in zip(ref_opts[net].param_groups[0]["params"], opts[net].param_groups[0]["params"], strict=True):
                s_ref, s = ref_opts[net].state[p_ref], opts[net].state[p]
                assert float(s["step"]) == float(s_ref["step"]) == before[i] + steps  # D:G 1: one update each per step
                assert torch.allclose(s["exp_avg"], s_ref["exp_avg"], rtol=1e-3, atol=1e-7)
                assert torch.allclose(s["exp_avg_sq"], s_ref["exp_avg_sq"], rtol=1e-3, atol=1e-10)
    # the check can fail: a fresh Adam (no state given) makes the warmed members go elsewhere
    fresh = [warmed(i) for i in range(3)]
    other = GANEnsemble([m for m, _, _ in fresh], hp).step(data, [g for _, _, g in fresh])
    assert other[2]["g_loss"] != pytest.approx(logs[0][2]["g_loss"], rel=1e-3)
