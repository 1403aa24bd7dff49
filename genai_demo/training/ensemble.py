"""N MLP GANs of one shape stepping together as one batched ensemble: on a GPU, 30 students' GANs then cost about
one launch sequence instead of 30.

``torch.func.stack_module_state`` stacks the members' weights into (N, …) tensors, ``functional_call`` + ``vmap``
run every member's G and D in one batched call per layer (``bmm`` instead of N ``mm``), and one
:class:`StackedAdam` per network updates the stacked weights. Adam is elementwise, so that is each member's own
Adam — with each member's own step count (its bias correction) and learning rate, and the moments it had: the
ensemble starts from the members' optimiser state and ``write_back`` returns it, so a run that trained alone
continues in a group as it would have alone. Each member keeps its own generator and draws its batch and noise in
the same order as ``GAN.train_step``, so its losses match the same run trained alone, within float tolerance
(batched matmuls sum in another order). G's BatchNorm running statistics are stacked buffers, updated per member.

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
BETAS, EPS = (0.5, 0.999), 1e-8  # GAN.make_optimizers' Adam, for members without optimisers of their own


class StackedAdam:
    """torch's Adam (no weight decay, no AMSGrad) over stacked (N, …) parameters, with a step count and a learning rate
    per member — what N separate Adams would do, as one set of elementwise ops per parameter."""

    def __init__(self, params: Sequence[torch.Tensor], lrs: Sequence[float], betas=BETAS, eps: float = EPS):
        self.params = list(params)  # (N, …) leaves
        self.betas, self.eps = tuple(betas), float(eps)
        self.lr = torch.tensor([float(x) for x in lrs], dtype=torch.float64)  # (N,)
        self.steps = torch.zeros(len(self.lr), dtype=torch.float64)  # (N,) Adam steps each member has taken
        self.exp_avg = [torch.zeros_like(p) for p in self.params]  # (N, …) first moments
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]  # (N, …) second moments

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        b1, b2 = self.betas
        self.steps += 1
        dev = self.params[0].device
        step_size = (self.lr / (1 - b1 ** self.steps)).to(dev, torch.float32)  # (N,) lr / bias correction 1
        bc2_sqrt = (1 - b2 ** self.steps).sqrt().to(dev, torch.float32)  # (N,) sqrt of bias correction 2
        grads = [p.grad for p in self.params]
        torch._foreach_lerp_(self.exp_avg, grads, 1 - b1)  # m ← β1 m + (1 − β1) g
        torch._foreach_mul_(self.exp_avg_sq, b2)  # v ← β2 v + (1 − β2) g²
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1 - b2)
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True):
            per = (-1,) + (1,) * (p.dim() - 1)  # (N, 1, …): one value per member, broadcast over its weights
            denom = (v.sqrt() / bc2_sqrt.view(per)).add_(self.eps)
            p.sub_(m / denom * step_size.view(per))  # p ← p − lr / bc1 · m / (√(v / bc2) + ε)

    def load(self, i: int, net: nn.Module, opt: torch.optim.Optimizer) -> None:
        """Member i's state from its own Adam over net's parameters (nothing when it has not stepped yet)."""
        self.lr[i] = opt.param_groups[0]["lr"]
        for j, p in enumerate(net.parameters()):  # stack_module_state's order: named_parameters'
            if st := opt.state.get(p):
                self.exp_avg[j][i].copy_(st["exp_avg"])
                self.exp_avg_sq[j][i].copy_(st["exp_avg_sq"])
                self.steps[i] = float(st["step"])

    @torch.no_grad()
    def store(self, i: int, net: nn.Module, opt: torch.optim.Optimizer) -> None:
        """Write member i's moments and step count back into its own Adam, in the layout that Adam keeps."""
        if self.steps[i] == 0:
            return
        group = opt.param_groups[0]
        for j, p in enumerate(net.parameters()):
            st = opt.state[p]
            if "step" not in st:  # as torch's Adam makes it: on the device when fused / capturable, else on the CPU
                on_dev = group.get("fused") or group.get("capturable")
                st["step"] = torch.zeros((), dtype=torch.float32, device=p.device if on_dev else "cpu")
                st["exp_avg"], st["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
            st["step"].fill_(float(self.steps[i]))
            st["exp_avg"].copy_(self.exp_avg[j][i])
            st["exp_avg_sq"].copy_(self.exp_avg_sq[j][i])


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
        group = opts[0]["g"].param_groups[0] if opts else {"betas": BETAS, "eps": EPS}
        self.opt_g = StackedAdam(self.pg.values(), [hp.lr] * len(models), group["betas"], group["eps"])
        self.opt_d = StackedAdam(self.pd.values(), [hp.lr] * len(models), group["betas"], group["eps"])
        for i, (m, o) in enumerate(zip(models, opts or [], strict=False)):
            self.opt_g.load(i, m.G, o["g"])
            self.opt_d.load(i, m.D, o["d"])

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
            self.opt_d.zero_grad()
            d_loss.sum().backward()  # members share no weights: the sum's gradient is each member's own
            self.opt_d.step()
        frozen_d = {k: v.detach() for k, v in self.pd.items()}  # the freshly updated D, no gradient for it
        g_loss = vmap(g_loss_fn)(self._d(frozen_d, fake))  # (N,)
        self.opt_g.zero_grad()
        g_loss.sum().backward()
        self.opt_g.step()
        with torch.no_grad():
            vals = torch.stack([d_loss.detach(), g_loss.detach(), vmap(d_accuracy)(real_logits, fake_logits),
                                torch.sigmoid(real_logits).mean(1), torch.sigmoid(fake_logits).mean(1)], dim=1)
        return [dict(zip(METRICS, row, strict=True)) for row in vals.tolist()]  # one device sync for all members

    @torch.no_grad()
    def write_back(self, members: Sequence[int] | None = None, adam: bool = True) -> None:
        """Copy the stacked weights and BN statistics back into the member models (all, or the given indices), and
        with adam, the optimiser state into their own Adams (when the ensemble was given them)."""
        for i in range(len(self.models)) if members is None else members:
            m = self.models[i]
            m.G.load_state_dict({k: v[i] for k, v in {**self.pg, **self.bg}.items()})
            m.D.load_state_dict({k: v[i] for k, v in {**self.pd, **self.bd}.items()})
            if adam and self.opts is not None:
                self.opt_g.store(i, m.G, self.opts[i]["g"])
                self.opt_d.store(i, m.D, self.opts[i]["d"])

    def copy_of(self, i: int) -> GAN:
        """A CPU copy of member i as it is now (a snapshot's weights in the middle of a chunk)."""
        self.write_back([i], adam=False)  # the live model is the ensemble's until the chunk ends: it may hold them
        return copy.deepcopy(self.models[i]).to("cpu")
