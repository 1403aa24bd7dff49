"""Issue 16 item 3: N MLP GANs stepping as one batched ensemble give each member the losses and weights it gets
trained alone with the same seed (within float tolerance: batched matmuls sum in another order)."""
from __future__ import annotations

import pytest
import torch

from genai_demo.models.base import Hyper
from genai_demo.models.gan import GAN, GANConfig
from genai_demo.training.ensemble import GANEnsemble
from tests.helpers import TinyData

pytestmark = pytest.mark.usefixtures("one_thread")  # one intra-op thread (tests/conftest.py)


class Digits(TinyData):
    """TinyData's draws, at MNIST's shape: 64 fixed 28×28 images."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.rand(64, 1, 28, 28, generator=g)  # (64, 1, 28, 28)
        self.y = torch.zeros(64, dtype=torch.long)


def member(seed: int, device: str = "cpu") -> GAN:
    torch.manual_seed(seed)
    return GAN(GANConfig(z_dim=16)).to(device)


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU (bench/gpu_check.sh)")


@pytest.mark.parametrize("d_steps, device", [(1, "cpu"), (2, "cpu"), pytest.param(1, "cuda", marks=CUDA)])
def test_an_ensemble_steps_each_member_like_it_trains_alone(d_steps, device):
    hp, data, seeds, steps = Hyper(lr=2e-4, batch_size=16, d_steps=d_steps), Digits(), [0, 1, 2], 4
    data.x, data.y = data.x.to(device), data.y.to(device)
    alone = []
    for s in seeds:
        m, g = member(s, device), torch.Generator().manual_seed(100 + s)
        opts = m.make_optimizers(hp)
        alone.append(([m.train_step(*data.batch(hp.batch_size, g), opts, hp, g) for _ in range(steps)], m))
    together = [member(s, device) for s in seeds]
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
            assert torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5), (i, name)
    assert any(logs[0][i]["d_loss"] != logs[0][0]["d_loss"] for i in (1, 2))  # the members really differ


def test_only_same_shaped_mlp_gans_make_an_ensemble():
    with pytest.raises(ValueError, match="same shape"):
        GANEnsemble([GAN(GANConfig(z_dim=16)), GAN(GANConfig(z_dim=8))], Hyper())
    from genai_demo.models.gan import CGAN

    with pytest.raises(ValueError, match="unconditional MLP GAN"):
        GANEnsemble([CGAN()], Hyper())
