// The 2-D GAN tab's live view, drawn in the page (ui/toy_tab.py ships this as an event's js= function).
// Gradio calls it with the poll's latest payload (a JSON string, see ToyActions.poll): the game's frame
// (genai_demo/explore/toy_views.py documents its layout), the history points since the page's last step,
// the scene once per game, and a replay frame while the visitor scrubs. Everything is drawn here; the
// server only sends numbers. State lives in window.__genaiToy (the next poll sends back its game / step / key).
(text) => {
  const S = (window.__genaiToy ??= { game: null, since: null, key: null, text: null, scene: null, hist: null,
    frame: null, view: null, draws: 0, times: [], drawn: [], draw: false, wired: false, payload: null });
  const root = document.querySelector("#toy-view");
  if (!root) return [];
  const plane = root.querySelector("canvas.toy-plane"), chart = root.querySelector("canvas.toy-chart");
  const hash = (s) => { let h = 2166136261; for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619); return (h >>> 0).toString(16); };
  const T = JSON.parse(root.dataset.texts || "{}");  // visible words in the visitor's language, from toy_view.js_texts

  // ---- wiring (once per page): view toggles, drawing your own points, resizing ----------------------
  if (!S.wired || S.root !== root) {
    S.wired = true; S.root = root;
    root.querySelectorAll("input[data-layer]").forEach((b) => b.addEventListener("change", () => S.paint()));
    const at = (ev) => {  // mouse → plane coordinates in [-E, E]², y up
      const r = plane.getBoundingClientRect(), E = (S.scene && S.scene.extent) || 2;
      return [((ev.clientX - r.left) / r.width * 2 - 1) * E, (1 - (ev.clientY - r.top) / r.height * 2) * E];
    };
    let down = false;
    const add = (ev) => {
      if (!S.draw || S.drawn.length >= 1000) return;
      const [x, y] = at(ev), E = (S.scene && S.scene.extent) || 2, last = S.drawn[S.drawn.length - 1];
      if (Math.abs(x) > E || Math.abs(y) > E) return;
      if (last && Math.hypot(x - last[0], y - last[1]) < 0.05) return;  // thin a stroke: one point per 0.05
      S.drawn.push([Math.round(x * 100) / 100, Math.round(y * 100) / 100]);
      S.paint();
    };
    plane.addEventListener("pointerdown", (ev) => { down = true; add(ev); });
    plane.addEventListener("pointermove", (ev) => { if (down) add(ev); });
    window.addEventListener("pointerup", () => { down = false; });
    root.querySelector(".toy-clear")?.addEventListener("click", () => { S.drawn = []; S.setDraw(true); });
    S.setDraw = (on) => { S.draw = on; root.classList.toggle("toy-drawing", on); S.paint(); };
  }

  // ---- the payload ----------------------------------------------------------------------------------------
  if (text && text !== S.text) {
    S.text = text;
    const p = JSON.parse(text);
    S.payload = p;
    if (p.frame) {
      if (p.game !== S.game || p.scene) { S.game = p.game; S.scene = p.scene || S.scene; S.hist = null; }
      const h = p.frame.history;
      if (!S.hist) S.hist = { step: [], d: [], g: [], modes: [], js: [] };
      for (const k of Object.keys(S.hist)) S.hist[k].push(...(h[k] || []));
      if (S.hist.step.length > 3000) for (const k of Object.keys(S.hist)) S.hist[k] = S.hist[k].filter((_, i) => i % 2 === 0);
      S.since = S.hist.step.length ? S.hist.step[S.hist.step.length - 1] : null;
      S.frame = p.frame; S.view = p.view || null; S.key = p.key;
      const now = performance.now();
      S.times.push([now, p.frame.step]); while (S.times.length > 12) S.times.shift();  // for the steps/s readout
      if (S.stamps) S.stamps.push([now, p.frame.step]);  // bench/toy_browser.py sets S.stamps to time every paint
      S.draws += 1;
    }
  }

  // ---- drawing ------------------------------------------------------------------------------------------------
  S.paint = () => {
    const f = S.view || S.frame, sc = S.scene, on = (k) => root.querySelector(`input[data-layer=${k}]`)?.checked ?? true;
    const W = plane.clientWidth || 460, dpr = window.devicePixelRatio || 1;
    if (plane.width !== Math.round(W * dpr)) { plane.width = plane.height = Math.round(W * dpr); }
    const c = plane.getContext("2d");
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.fillStyle = "#fff"; c.fillRect(0, 0, W, W);
    const E = (sc && sc.extent) || 2, px = (x) => (x + E) / (2 * E) * W, py = (y) => (E - y) / (2 * E) * W;
    const st = (sc && sc.style) || { real: "#169650", fake: "#8c3cc8", arrow_gain: 0.15, arrow_max: 0.4 };
    const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const [R, F] = [rgb(st.real), rgb(st.fake)];
    if (f && !S.draw && on("heat")) {  // D's opinion: fake colour where D(x) → 0, white at ½, real colour at 1
      const n = f.heat.n, b = atob(f.heat.b64), img = new ImageData(n, n);
      for (let i = 0; i < n * n; i++) {
        const p = b.charCodeAt(i) / 255, t = Math.abs(p - 0.5) * 2 * 0.55, C = p >= 0.5 ? R : F;
        for (let k = 0; k < 3; k++) img.data[4 * i + k] = Math.round(255 + (C[k] - 255) * t);
        img.data[4 * i + 3] = 255;
      }
      const off = (S.off ??= document.createElement("canvas")); off.width = off.height = n;
      off.getContext("2d").putImageData(img, 0, 0);
      c.imageSmoothingEnabled = true; c.drawImage(off, 0, 0, W, W);
    }
    c.strokeStyle = "rgba(0,0,0,.08)"; c.lineWidth = 1;  // axes grid every 1 unit
    for (let v = -Math.floor(E); v <= E; v++) { c.beginPath(); c.moveTo(px(v), 0); c.lineTo(px(v), W); c.moveTo(0, py(v)); c.lineTo(W, py(v)); c.stroke(); }
    const dot = (x, y, r, fill, line) => { c.beginPath(); c.arc(px(x), py(y), r, 0, 7); c.fillStyle = fill; c.fill(); if (line) { c.strokeStyle = line; c.stroke(); } };
    if (S.draw) {  // drawing your own data: only the drawing
      for (const [x, y] of S.drawn) dot(x, y, 4, st.real, "#fff");
      c.fillStyle = "rgba(30,30,30,.75)"; c.font = "14px system-ui, sans-serif"; c.textAlign = "center";
      c.fillText(S.drawn.length ? `${S.drawn.length} ${T.points || "points"}` : (T.draw_hint || "Click or drag to draw"), W / 2, 22);
    } else if (f && sc) {
      if (on("manifold") && f.manifold) {  // G's image of a grid in z-space: rows and columns of the grid
        const m = f.manifold, xy = m.xy, idx = (r, k) => 2 * (r * m.cols + k);
        c.strokeStyle = `rgba(${F.join(",")},.35)`; c.lineWidth = 1;
        for (let r = 0; r < m.rows; r++) { c.beginPath(); for (let k = 0; k < m.cols; k++) c[k ? "lineTo" : "moveTo"](px(xy[idx(r, k)]), py(xy[idx(r, k) + 1])); c.stroke(); }
        if (m.rows > 1) for (let k = 0; k < m.cols; k++) { c.beginPath(); for (let r = 0; r < m.rows; r++) c[r ? "lineTo" : "moveTo"](px(xy[idx(r, k)]), py(xy[idx(r, k) + 1])); c.stroke(); }
      }
      if (on("real")) for (let i = 0; i < sc.real.length; i += 2) dot(sc.real[i], sc.real[i + 1], 2.6, st.real, null);
      if (on("fake")) for (let i = 0; i < f.fake.length; i += 2) dot(f.fake[i], f.fake[i + 1], 3, st.fake, "rgba(255,255,255,.9)");
      if (on("arrows")) {  // G's gradient at each fake point, scaled like toy_render.py
        c.strokeStyle = "rgba(60,20,90,.8)"; c.lineWidth = 1.2;
        for (let i = 0; i < f.fake.length; i += 2) {
          const gx = f.arrows[i], gy = f.arrows[i + 1], g = Math.hypot(gx, gy);
          if (!g) continue;
          const L = Math.min(g * st.arrow_gain, st.arrow_max) / g, x0 = px(f.fake[i]), y0 = py(f.fake[i + 1]);
          const x1 = px(f.fake[i] + gx * L), y1 = py(f.fake[i + 1] + gy * L), a = Math.atan2(y1 - y0, x1 - x0);
          c.beginPath(); c.moveTo(x0, y0); c.lineTo(x1, y1);
          if (Math.hypot(x1 - x0, y1 - y0) > 4) { c.lineTo(x1 - 4 * Math.cos(a - 0.5), y1 - 4 * Math.sin(a - 0.5)); c.moveTo(x1, y1); c.lineTo(x1 - 4 * Math.cos(a + 0.5), y1 - 4 * Math.sin(a + 0.5)); }
          c.stroke();
        }
      }
    }
    // what the tests and the bench read (never pixels): hashes of what was drawn, counters
    const ds = plane.dataset;
    ds.mode = S.draw ? "draw" : S.view ? "replay" : "live";
    ds.drawn = S.drawn.length;
    if (f) { ds.step = f.step; ds.heat = hash(f.heat.b64); ds.fake = hash(f.fake.join(",")); ds.modes = f.modes_covered; }
    if (S.frame) { ds.state = S.frame.state; ds.dist = sc ? sc.dist : ""; }
    ds.draws = S.draws;
    S.chart(); S.readouts();
  };

  S.chart = () => {  // losses (top) and modes covered / JS divergence (bottom) over the steps
    const W = chart.clientWidth || 460, H = chart.clientHeight || 240, dpr = window.devicePixelRatio || 1, h = S.hist;
    if (chart.width !== Math.round(W * dpr)) { chart.width = Math.round(W * dpr); chart.height = Math.round(H * dpr); }
    const c = chart.getContext("2d"); c.setTransform(dpr, 0, 0, dpr, 0, 0); c.clearRect(0, 0, W, H);
    if (!h || !h.step.length) return;
    const st = (S.scene && S.scene.style) || {}, x0 = 34, x1 = W - 30, last = Math.max(h.step[h.step.length - 1], 1);
    const X = (s) => x0 + (x1 - x0) * s / last, panels = [[18, H / 2 - 8], [H / 2 + 20, H - 16]];
    c.font = "11px system-ui, sans-serif"; c.lineWidth = 1.6;
    const line = (ys, lo, hi, [top, bot], colour) => {
      c.strokeStyle = colour; c.beginPath(); let on = false;
      ys.forEach((v, i) => { if (v === null || v === undefined) { on = false; return; } const y = bot - (bot - top) * (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo || 1); c[on ? "lineTo" : "moveTo"](X(h.step[i]), y); on = true; });
      c.stroke();
    };
    const finite = (a) => a.filter((v) => v !== null && Number.isFinite(v));
    const all = finite([...h.d, ...h.g]), lo = Math.min(0, ...all), hi = Math.max(1, ...all.slice(-400));
    for (const [top, bot] of panels) { c.strokeStyle = "rgba(0,0,0,.15)"; c.strokeRect(x0, top, x1 - x0, bot - top); }
    line(h.d, lo, hi, panels[0], "#475569"); line(h.g, lo, hi, panels[0], st.fake || "#8c3cc8");
    const M = (S.frame && S.frame.modes) || 8;
    line(h.modes, 0, M, panels[1], st.real || "#169650"); line(h.js, 0, 1, panels[1], "#e11d48");
    c.fillStyle = "#475569"; c.fillText(`${T.loss_d || "D loss"}`, x0, 12); c.fillStyle = st.fake || "#8c3cc8"; c.fillText(`${T.loss_g || "G loss"}`, x0 + 60, 12);
    c.fillStyle = "#64748b"; c.fillText(hi.toFixed(1), 2, 26); c.fillText(lo.toFixed(1), 2, panels[0][1]);
    c.fillStyle = st.real || "#169650"; c.fillText(`${T.modes || "modes"} (0-${M})`, x0, panels[1][0] - 5);
    c.fillStyle = "#e11d48"; c.fillText(`${T.js || "JS"} (0-1 ${T.bits || "bits"})`, x0 + 150, panels[1][0] - 5);
    c.fillStyle = "#64748b"; c.textAlign = "right"; c.fillText(`${T.step || "step"} ${last.toLocaleString("en")}`, x1, H - 3); c.textAlign = "left";
    c.strokeStyle = "rgba(220,38,38,.7)";  // collapse events and the replayed step as vertical marks
    for (const e of (S.frame && S.frame.events) || []) { c.beginPath(); c.moveTo(X(e.step), panels[1][0]); c.lineTo(X(e.step), panels[1][1]); c.stroke(); }
    if (S.view) { c.strokeStyle = "#0f172a"; c.setLineDash([4, 3]); c.beginPath(); c.moveTo(X(S.view.step), 8); c.lineTo(X(S.view.step), H - 16); c.stroke(); c.setLineDash([]); }
  };

  S.readouts = () => {
    const f = S.view || S.frame, p = S.payload || {}, set = (cls, v) => { const el = root.querySelector(cls); if (el && el.textContent !== String(v)) el.textContent = v; };
    if (p.message) set(".toy-note", p.message);
    if (!f || !S.frame) return;
    const fr = S.frame, n = (v) => Number(v).toLocaleString("en");
    set(".toy-step", n(f.step)); set(".toy-modes", `${f.modes_covered} / ${f.modes}`); set(".toy-js", Number(f.js).toFixed(3));
    const hd = S.hist.d.filter((v) => v !== null), hg = S.hist.g.filter((v) => v !== null);
    set(".toy-ld", hd.length ? hd[hd.length - 1].toFixed(3) : "–"); set(".toy-lg", hg.length ? hg[hg.length - 1].toFixed(3) : "–");
    set(".toy-grad", Number(f.grad).toPrecision(2));
    set(".toy-state", S.view ? `${T.replaying || "replay"} ${p.replay.i + 1} / ${p.replay.n}` : (T.states || {})[fr.state] || fr.state);
    root.querySelector(".toy-dot").className = `toy-dot dot dot-${S.view ? "paused" : { playing: "running" }[fr.state] || fr.state}`;
    const [t0, s0] = S.times[0] || [0, 0], [t1, s1] = S.times[S.times.length - 1] || [0, 0];  // steps per second as seen here
    set(".toy-rate", fr.state === "playing" && t1 > t0 ? `${n(Math.round((s1 - s0) / (t1 - t0) * 1000))} ${T.steps_s || "steps/s"}` : "");
    set(".toy-collapse", fr.error || fr.collapse || "");
    if (!p.message) set(".toy-note", fr.state === "finished" ? `${p.shows || ""} ${T.finished || ""}` : p.shows || "");
  };

  S.paint();
  return [];
}
