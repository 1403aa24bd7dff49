"""N MLP GANs of one shape stepping together as one batched ensemble: on a GPU, 30 students' GANs then cost about
one launch sequence instead of 30.

``torch.func.stack_module_state`` stacks the members' weights into (N, …) tensors, ``functional_call`` + ``vmap``
run every member's G and D in one batched call per layer (``bmm`` instead of N ``mm``). The update is torch's own
(fused) Adam over each member's slices of the stacked weights, one parameter group per learning rate, whose state
*is* each member's own Adam state (the same dicts: moments and step count, so its bias correction), updated in
place — a run that trained alone continues in a group exactly as it would alone, and the arithmetic is the kernel
its own Adam runs. Each member keeps its own generator and draws its batch and noise in the same order as
``GAN.train_step``, so its losses match the same run trained alone, within float tolerance (batched matmuls sum in
another order). G's BatchNorm running statistics are stacked buffers, updated per member.

Used by ``cotrain.py``, which groups the scheduler's active runs into ensembles on a GPU (off on a CPU, where it does
not pay: the same FLOPs, the cores already busy; measured in bench/ensemble.py). The unconditional MLP GAN only
(``GAN``, not CGAN / DCGAN). No gradio.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ..models.base import Hyper, randn
from ..models.gan import GAN, d_accuracy, d_loss_fn, g_loss_fn

METRICS = ("d_loss", "g_loss", "d_acc", "d_real", "d_fake")  # GAN.train_step's, in its order


class GANEnsemble:
    def __init__(self, models: list[GAN], hp: Hyper, opts: list[dict] | None = None):
        """models: the members; hp: what they share (batch size, D:G); opts: each member's {"g", "d"} Adams, whose
        state and learning rate the ensemble continues and write_back() updates (None: fresh Adams at hp.lr)."""
        if not models or any(type(m) is not GAN for m in models):
            raise ValueError("an ensemble takes one or more unconditional MLP GANs")
        if len({tuple((k, tuple(v.shape)) for k, v in m.state_dict().items()) for m in models}) != 1:
            raise ValueError("every member of an ensemble must have the same shape")
        self.models, self.hp, self.opts = models, hp, opts
        self.z_dim = models[0].config.z_dim
        self.device = models[0].device
        # a shape-only copy of one member, in train mode: functional_call runs it with each member's weights
        self.g_base = copy.deepcopy(models[0].G).to("meta").train()
        self.d_base = copy.deepcopy(models[0].D).to("meta").train()
        self.pg, self.bg = stack_module_state([m.G for m in models])  # {name: (N, …)} leaves; BN buffers (N, …)
        self.pd, self.bd = stack_module_state([m.D for m in models])
        self.opt_g, self.views_g = self._adam([m.G for m in models], self.pg, "g", hp)
        self.opt_d, self.views_d = self._adam([m.D for m in models], self.pd, "d", hp)

    def _adam(self, nets: list[nn.Module], stacked: dict, which: str, hp: Hyper):
        """(Adam over every member's slices of the stacked weights, the slices per member). Member i's slices are
        views of row i (they train the stacked weights in place); its Adam state is its own optimiser's."""
        flat = [p.detach() for p in stacked.values()]  # (N, …) each, in named_parameters' order
        views = [[f[i] for f in flat] for i in range(len(nets))]  # member i: its parameters' shapes
        own = [o[which] for o in self.opts] if self.opts else None
        lrs = [o.param_groups[0]["lr"] for o in own] if own else [hp.lr] * len(nets)
        groups: dict[float, list] = {}
        for i, lr in enumerate(lrs):  # one group per learning rate: members may differ (set_hyper), most do not
            groups.setdefault(lr, []).extend(views[i])
        fused = own[0].param_groups[0]["fused"] if own else self.device.type in ("cpu", "cuda")  # as GAN's own
        betas = own[0].param_groups[0]["betas"] if own else (0.5, 0.999)
        opt = torch.optim.Adam([{"params": v, "lr": lr} for lr, v in groups.items()], betas=betas, fused=fused)
        for i, net in enumerate(nets if own else []):
            for v, p in zip(views[i], net.parameters(), strict=True):
                if p in own[i].state:
                    opt.state[v] = own[i].state[p]  # the same dict: the step updates the member's own state
        return opt, views

    @staticmethod
    def _adam_step(opt: torch.optim.Optimizer, stacked: dict, views: list[list[torch.Tensor]]) -> None:
        """One Adam step of every member: its gradient is row i of the stacked one (the sum's backward)."""
        grads = [p.grad for p in stacked.values()]  # (N, …) each
        for i, vs in enumerate(views):
            for v, g in zip(vs, grads, strict=True):
                v.grad = g[i]
        opt.step()
        for p in stacked.values():
            p.grad = None  # the next backward writes fresh gradients (the views' go with the next assignment)

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
        """One training step of every member (GAN.train_step's order of draws and updates); its metrics per member.
        data: one data set for all, or one per member (each run draws from its own)."""
        n_d, B = max(1, int(self.hp.d_steps)), int(self.hp.batch_size)
        datas = data if isinstance(data, (list, tuple)) else [data] * len(generators)
        real = torch.stack([d.batch(B, g)[0] for d, g in zip(datas, generators, strict=True)]) * 2 - 1  # (N, B, 1, 28, 28)
        for i in range(n_d):  # D: k updates per G update, fresh noise each time
            last = i == n_d - 1
            z = torch.stack([randn((B, self.z_dim), g, self.device) for g in generators])  # (N, B, z_dim)
            with torch.set_grad_enabled(last):  # only the last fakes keep a graph: the G step reuses them
                fake = self._g(z)  # (N, B, 1, 28, 28)
            both = self._d(self.pd, torch.cat([real, fake.detach()], dim=1))  # (N, 2B): one D pass, as GAN does
            real_logits, fake_logits = both[:, :B], both[:, B:]  # (N, B), (N, B)
            d_loss = vmap(d_loss_fn)(real_logits, fake_logits)  # (N,)
            d_loss.sum().backward()  # members share no weights: the sum's gradient is each member's own
            self._adam_step(self.opt_d, self.pd, self.views_d)
        frozen_d = {k: v.detach() for k, v in self.pd.items()}  # the freshly updated D, no gradient for it
        g_loss = vmap(g_loss_fn)(self._d(frozen_d, fake))  # (N,)
        g_loss.sum().backward()
        self._adam_step(self.opt_g, self.pg, self.views_g)
        with torch.no_grad():
            vals = torch.stack([d_loss.detach(), g_loss.detach(), vmap(d_accuracy)(real_logits, fake_logits),
                                torch.sigmoid(real_logits).mean(1), torch.sigmoid(fake_logits).mean(1)], dim=1)
        return [dict(zip(METRICS, row, strict=True)) for row in vals.tolist()]  # one device sync for all members

    @torch.no_grad()
    def write_back(self, members: Sequence[int] | None = None, adam: bool = True) -> None:
        """Copy the stacked weights and BN statistics back into the member models (all, or the given indices); with
        adam, hand a member's own Adam the state of its first steps (later steps update that state in place)."""
        for i in range(len(self.models)) if members is None else members:
            m = self.models[i]
            m.G.load_state_dict({k: v[i] for k, v in {**self.pg, **self.bg}.items()})
            m.D.load_state_dict({k: v[i] for k, v in {**self.pd, **self.bd}.items()})
            if adam and self.opts is not None:  # a member's first steps: the state the ensemble's Adam created
                for net, opt, views, which in ((m.G, self.opt_g, self.views_g, "g"), (m.D, self.opt_d, self.views_d, "d")):
                    own = self.opts[i][which].state
                    for v, p in zip(views[i], net.parameters(), strict=True):
                        if p not in own and v in opt.state:
                            own[p] = opt.state[v]

    def copy_of(self, i: int) -> GAN:
        """A CPU copy of member i as it is now (a snapshot's weights in the middle of a chunk)."""
        self.write_back([i], adam=False)  # the live model is the ensemble's until the chunk ends: it may hold them
        return copy.deepcopy(self.models[i]).to("cpu")
