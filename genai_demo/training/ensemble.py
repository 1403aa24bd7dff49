"""N MLP GANs of one shape stepping together as one batched ensemble — a building block for a GPU, where 30
students' GANs then cost about one launch sequence instead of 30.

``torch.func.stack_module_state`` stacks the members' weights into (N, …) tensors, ``functional_call`` + ``vmap``
run every member's G and D in one batched call per layer (``bmm`` instead of N ``mm``), and one Adam per network
updates the stacked weights — Adam is elementwise, so that is each member's own Adam. Each member keeps its own
generator and draws its batch and noise in the same order as ``GAN.train_step``, so a member's losses match the
same run trained alone, within float tolerance (batched matmuls sum in another order). G's BatchNorm running
statistics are stacked buffers, updated per member.

Measured in bench/ensemble.py; on a CPU it does not pay (the same FLOPs, the cores already busy), so the scheduler
does not use it there. Wiring it into the scheduler for CUDA (grouping active runs by family and shape) is the
next step; it is not done. The unconditional MLP GAN only (``GAN``, not CGAN / DCGAN). No gradio.
"""
from __future__ import annotations

import copy

import torch
from torch.func import functional_call, stack_module_state, vmap

from ..models.base import Hyper, randn
from ..models.gan import GAN, d_accuracy, d_loss_fn, g_loss_fn

METRICS = ("d_loss", "g_loss", "d_acc", "d_real", "d_fake")  # GAN.train_step's, in its order


class GANEnsemble:
    def __init__(self, models: list[GAN], hp: Hyper):
        if not models or any(type(m) is not GAN for m in models):
            raise ValueError("an ensemble takes one or more unconditional MLP GANs")
        if len({tuple((k, tuple(v.shape)) for k, v in m.state_dict().items()) for m in models}) != 1:
            raise ValueError("every member of an ensemble must have the same shape")
        self.models, self.hp = models, hp
        self.z_dim = models[0].config.z_dim
        self.device = models[0].device
        # a shape-only copy of one member: functional_call runs it with each member's weights
        self.g_base = copy.deepcopy(models[0].G).to("meta")
        self.d_base = copy.deepcopy(models[0].D).to("meta")
        self.pg, self.bg = stack_module_state([m.G for m in models])  # {name: (N, …)} leaves; BN buffers (N, …)
        self.pd, self.bd = stack_module_state([m.D for m in models])
        betas, fused = (0.5, 0.999), self.device.type in ("cpu", "cuda")  # as GAN.make_optimizers
        self.opt_g = torch.optim.Adam(self.pg.values(), lr=hp.lr, betas=betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.pd.values(), lr=hp.lr, betas=betas, fused=fused)

    def __len__(self) -> int:
        return len(self.models)

    def _g(self, z: torch.Tensor) -> torch.Tensor:
        """(N, B, z_dim) → (N, B, 1, 28, 28): every member's G on its own noise, in train mode (BN batch stats)."""
        def one(p, b, zi):
            return functional_call(self.g_base, (p, b), (zi,))
        return vmap(one)(self.pg, self.bg, z)

    def _d(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """(N, M, 1, 28, 28) → (N, M) logits, each member's D on its own images."""
        def one(p, b, xi):
            return functional_call(self.d_base, (p, b), (xi,))
        return vmap(one)(params, self.bd, x)

    def step(self, data, generators: list[torch.Generator]) -> list[dict[str, float]]:
        """One training step of every member (GAN.train_step's order of draws and updates); its metrics per member."""
        n_d, B = max(1, int(self.hp.d_steps)), int(self.hp.batch_size)
        real = torch.stack([data.batch(B, g)[0] for g in generators]) * 2 - 1  # (N, B, 1, 28, 28) in [-1, 1]
        for i in range(n_d):  # D: k updates per G update, fresh noise each time
            last = i == n_d - 1
            z = torch.stack([randn((B, self.z_dim), g, self.device) for g in generators])  # (N, B, z_dim)
            with torch.set_grad_enabled(last):  # only the last fakes keep a graph: the G step reuses them
                fake = self._g(z)  # (N, B, 1, 28, 28)
            both = self._d(self.pd, torch.cat([real, fake.detach()], dim=1))  # (N, 2B): one D pass, as GAN does
            real_logits, fake_logits = both[:, :B], both[:, B:]  # (N, B), (N, B)
            d_loss = vmap(d_loss_fn)(real_logits, fake_logits)  # (N,)
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.sum().backward()  # members share no weights: the sum's gradient is each member's own
            self.opt_d.step()
        frozen_d = {k: v.detach() for k, v in self.pd.items()}  # the freshly updated D, no gradient for it
        g_loss = vmap(g_loss_fn)(self._d(frozen_d, fake))  # (N,)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.sum().backward()
        self.opt_g.step()
        with torch.no_grad():
            vals = torch.stack([d_loss.detach(), g_loss.detach(), vmap(d_accuracy)(real_logits, fake_logits),
                                torch.sigmoid(real_logits).mean(1), torch.sigmoid(fake_logits).mean(1)], dim=1)
        return [dict(zip(METRICS, row, strict=True)) for row in vals.tolist()]  # one device sync for all members

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy the stacked weights and BN statistics back into the member models (for snapshots, previews)."""
        for i, m in enumerate(self.models):
            m.G.load_state_dict({k: v[i] for k, v in {**self.pg, **self.bg}.items()})
            m.D.load_state_dict({k: v[i] for k, v in {**self.pd, **self.bd}.items()})
