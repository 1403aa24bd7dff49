"""N MLP GANs of one shape stepping together as one batched ensemble: on a GPU, 30 students' GANs then cost about
one launch sequence instead of 30.

``torch.func.stack_module_state`` stacks the members' weights into (N, …) tensors, ``functional_call`` + ``vmap``
run every member's G and D in one batched call per layer (``bmm`` instead of N ``mm``). The update is torch's
functional Adam (``torch.optim.adam.adam``, fused like GAN's own) over each member's slices of the stacked weights,
one call per learning rate, starting from each member's own Adam state — moments and step count, so its own bias
correction — and copying it back (``write_back``): a run that trained alone continues in a group exactly as it would
alone, with the kernel its own Adam runs. Each member keeps its own generator and draws its batch and noise in the same order as
``GAN.train_step``, so its losses match the same run trained alone, within float tolerance (batched matmuls sum in
another order). G's BatchNorm running statistics are stacked buffers, updated per member.

Used by ``cotrain.py``, which groups the scheduler's active runs into ensembles on a GPU (off on a CPU, where it does
not pay: the same FLOPs, the cores already busy; measured in bench/ensemble.py). The MLP GAN and its label-conditioned
CGAN (the members of one ensemble are all one or the other; a CGAN's G and D get each member's batch labels, one-hot);
not the DCGAN (its D has BatchNorm, so real and fake cannot share one pass). No gradio.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.optim.adam import adam

from ..models.base import Hyper, randn
from ..models.gan import CGAN, GAN, d_accuracy, d_loss_fn, g_loss_fn

METRICS = ("d_loss", "g_loss", "d_acc", "d_real", "d_fake")  # GAN.train_step's, in its order
FAMILIES = (GAN, CGAN)  # the MLP GANs (an ensemble holds one of them): not DCGAN, whose D has BatchNorm


class GANEnsemble:
    def __init__(self, models: list[GAN], hp: Hyper, opts: list[dict] | None = None):
        """models: the members; hp: what they share (batch size, D:G); opts: each member's {"g", "d"} Adams, whose
        state (moments, step count) and learning rate the ensemble continues and write_back() updates (None: fresh
        Adams at hp.lr)."""
        if not models or any(type(m) not in FAMILIES or not m._joint_d for m in models):  # _joint_d: D without BN,
            raise ValueError("an ensemble takes MLP GANs or CGANs")  # real and fake scored in one pass
        if len({(type(m), tuple((k, tuple(v.shape)) for k, v in m.state_dict().items())) for m in models}) != 1:
            raise ValueError("every member of an ensemble must have the same family and shape")
        self.models, self.hp = models, hp
        self.z_dim = models[0].config.z_dim
        self.classes = models[0].config.num_classes if models[0].conditional else 0  # one-hot width K (0: none)
        self.device = models[0].device
        # a shape-only copy of one member, in train mode: functional_call runs it with each member's weights
        self.g_base = copy.deepcopy(models[0].G).to("meta").train()
        self.d_base = copy.deepcopy(models[0].D).to("meta").train()
        self.pg, self.bg = stack_module_state([m.G for m in models])  # {name: (N, …)} leaves; BN buffers (N, …)
        self.pd, self.bd = stack_module_state([m.D for m in models])
        self.opts = opts if opts is not None else [m.make_optimizers(hp) for m in models]  # fresh Adams at hp.lr
        self._states: list[tuple[int, dict, dict]] = []  # (member, its Adam's state of one param, the copy stepped)
        self.adam_g = self._adam([m.G for m in models], self.pg, "g")
        self.adam_d = self._adam([m.D for m in models], self.pd, "d")

    def _adam(self, nets: list[nn.Module], stacked: dict, which: str) -> dict[float, tuple]:
        """For torch's functional Adam, per learning rate: (the members' slices of the stacked weights — views of
        row i, so an update trains the stacked weights in place —, copies of their own Adam's exp_avg, exp_avg_sq
        and step tensors, and (param j, member i) of each). write_back() copies the state back: until then a member's
        optimiser is untouched, so a chunk that fails leaves its run as it was. A member that has not stepped yet
        gets its (zero) state made here, in the layout its Adam would make (the step count on the device when fused)."""
        rows = list(zip(*(p.detach().unbind(0) for p in stacked.values()), strict=True))  # rows[i]: member i's views
        lists: dict[float, tuple] = {}
        for i, net in enumerate(nets):
            opt = self.opts[i][which]
            group = opt.param_groups[0]
            on_dev = bool(group.get("fused") or group.get("capturable"))
            params, ms, vs, steps, where = lists.setdefault(group["lr"], ([], [], [], [], []))
            for j, (v, p) in enumerate(zip(rows[i], net.parameters(), strict=True)):
                st = opt.state[p]
                if not st:
                    st.update(step=torch.zeros((), dtype=torch.float32, device=p.device if on_dev else "cpu"),
                              exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                mine = {k: st[k].clone() for k in ("exp_avg", "exp_avg_sq", "step")}
                self._states.append((i, st, mine))
                params.append(v), ms.append(mine["exp_avg"]), vs.append(mine["exp_avg_sq"]), steps.append(mine["step"])
                where.append((j, i))
        return lists

    def _adam_step(self, stacked: dict, lists: dict[float, tuple], which: str) -> None:
        """One Adam step of every member (its gradient: row i of the stacked one), with the kernel its own Adam runs
        (GAN.make_optimizers: no AMSGrad); its moments and step count update in the ensemble's copies."""
        group = self.opts[0][which].param_groups[0]
        grads = [p.grad.unbind(0) for p in stacked.values()]  # grads[j][i]: (…) member i's gradient of param j
        for lr, (params, ms, vs, steps, where) in lists.items():
            adam(params, [grads[j][i] for j, i in where], ms, vs, [], steps, fused=group.get("fused"),
                 foreach=group.get("foreach"), amsgrad=False, beta1=group["betas"][0], beta2=group["betas"][1], lr=lr,
                 weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)
        for p in stacked.values():
            p.grad = None  # the next backward writes fresh gradients

    def __len__(self) -> int:
        return len(self.models)

    def _g(self, z: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """(N, B, z_dim) [+ (N, B, K) one-hot labels] → (N, B, 1, 28, 28): every member's G on its own noise, in
        train mode (BN batch stats)."""
        def one(p, b, *args):
            return functional_call(self.g_base, (p, b), args)
        return vmap(one)(self.pg, self.bg, z, *([] if cond is None else [cond]))

    def _d(self, params: dict, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """(N, M, 1, 28, 28) [+ (N, M, K)] → (N, M) logits, each member's D on its own images (and labels)."""
        def one(p, b, *args):
            return functional_call(self.d_base, (p, b), args)
        return vmap(one)(params, self.bd, x, *([] if cond is None else [cond]))

    def step(self, data, generators: list[torch.Generator]) -> list[dict[str, float]]:
        """One training step of every member (GAN.train_step's order of draws and updates); its metrics per member.
        data: one data set for all, or one per member (each run draws from its own)."""
        n_d, B = max(1, int(self.hp.d_steps)), int(self.hp.batch_size)
        datas = data if isinstance(data, (list, tuple)) else [data] * len(generators)
        xs, ys = zip(*(d.batch(B, g) for d, g in zip(datas, generators, strict=True)), strict=True)
        real = torch.stack(xs) * 2 - 1  # (N, B, 1, 28, 28) in [-1, 1]
        # CGAN: fakes drawn with the batch's own labels, as GAN.train_step does [MO14 §3.2]; (N, B, K) one-hot
        cond = F.one_hot(torch.stack(ys).to(self.device).long(), self.classes).float() if self.classes else None
        both_cond = None if cond is None else torch.cat([cond, cond], dim=1)  # (N, 2B, K)
        for i in range(n_d):  # D: k updates per G update, fresh noise each time
            last = i == n_d - 1
            z = torch.stack([randn((B, self.z_dim), g, self.device) for g in generators])  # (N, B, z_dim)
            with torch.set_grad_enabled(last):  # only the last fakes keep a graph: the G step reuses them
                fake = self._g(z, cond)  # (N, B, 1, 28, 28)
            both = self._d(self.pd, torch.cat([real, fake.detach()], dim=1), both_cond)  # (N, 2B): one D pass
            real_logits, fake_logits = both[:, :B], both[:, B:]  # (N, B), (N, B)
            d_loss = vmap(d_loss_fn)(real_logits, fake_logits)  # (N,)
            d_loss.sum().backward()  # members share no weights: the sum's gradient is each member's own
            self._adam_step(self.pd, self.adam_d, "d")
        frozen_d = {k: v.detach() for k, v in self.pd.items()}  # the freshly updated D, no gradient for it
        g_loss = vmap(g_loss_fn)(self._d(frozen_d, fake, cond))  # (N,)
        g_loss.sum().backward()
        self._adam_step(self.pg, self.adam_g, "g")
        with torch.no_grad():
            vals = torch.stack([d_loss.detach(), g_loss.detach(), vmap(d_accuracy)(real_logits, fake_logits),
                                torch.sigmoid(real_logits).mean(1), torch.sigmoid(fake_logits).mean(1)], dim=1)
        return [dict(zip(METRICS, row, strict=True)) for row in vals.tolist()]  # one device sync for all members

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy the stacked weights and BN statistics back into the member models, and the stepped Adam state into
        their own optimisers (the end of a chunk)."""
        for i, m in enumerate(self.models):
            m.G.load_state_dict({k: v[i] for k, v in {**self.pg, **self.bg}.items()})
            m.D.load_state_dict({k: v[i] for k, v in {**self.pd, **self.bd}.items()})
        for _, own, mine in self._states:
            for k, v in mine.items():
                own[k].copy_(v)

    @torch.no_grad()
    def copy_of(self, i: int) -> GAN:
        """A CPU copy of member i as it is now (a snapshot's weights in the middle of a chunk); the live model stays
        as it was until write_back(), so a chunk that fails leaves it consistent with its step count."""
        m = copy.deepcopy(self.models[i])
        m.G.load_state_dict({k: v[i] for k, v in {**self.pg, **self.bg}.items()})
        m.D.load_state_dict({k: v[i] for k, v in {**self.pd, **self.bd}.items()})
        return m.to("cpu")
