// The Latent explorer's decoder, run in the page on every slider move (no server round trip), and the
// map's cross-hair moved to the same z. Gradio calls this as an event's js= function with the values of
// (z1, z2, digit, decoder file, map geometry) and expects the outputs back (none). The file format is in
// genai_demo/explore/webdecoder.py; the maths mirrors VAE.decode:
//   h = [z1, z2, one-hot(digit) for a CVAE]; h = relu(W h + b) per hidden layer; pixels = sigmoid(W h + b).
async (z1, z2, digit, file, geo) => {
  const S = (window.__genaiDecoder ??= { nets: new Map(), draws: 0, last: null, half: null });
  if (!Number.isFinite(z1) || !Number.isFinite(z2)) return [];

  // The cross-hair: an overlay on the server's map picture, placed with plots.MapGeometry's numbers
  // (picture px = left + (z1 + extent) · size / (2 extent), z2 pointing up); the picture is drawn with
  // object-fit: contain, so scale by its displayed size and centre. Re-placed when the map resizes or loads.
  S.cursor = { z1, z2, geo };
  S.place ??= () => {
    const block = document.querySelector("#latent-map"), pic = block && block.querySelector("img");
    const { z1, z2, geo } = S.cursor || {};
    if (!geo || !pic) return;
    let mark = block.querySelector(".latent-cursor");
    if (!mark) {
      mark = document.createElement("div");
      mark.className = "latent-cursor";
      block.appendChild(mark);
      new ResizeObserver(() => S.place()).observe(block);
      block.addEventListener("load", () => S.place(), true);  // a new picture (load does not bubble: capture)
    }
    const r = pic.getBoundingClientRect(), b = block.getBoundingClientRect();
    if (!r.width || !r.height) return;  // tab not shown yet
    const k = Math.min(r.width / geo.width, r.height / geo.height);
    const clamp = (v) => Math.max(-geo.extent, Math.min(geo.extent, v)), s = geo.size / (2 * geo.extent);
    const x = r.left - b.left + (r.width - geo.width * k) / 2 + (geo.left + (clamp(z1) + geo.extent) * s) * k;
    const y = r.top - b.top + (r.height - geo.height * k) / 2 + (geo.top + (geo.extent - clamp(z2)) * s) * k;
    mark.style.transform = `translate(${x}px, ${y}px)`;
    mark.style.display = "block";
  };
  S.place();

  const canvas = document.querySelector("#latent-decoded canvas");
  if (!canvas || !file || !file.url) return [];

  // float16 → float32 through a 65,536-entry table, built once (JS has no Float16Array everywhere yet)
  const halfTable = () => {
    const t = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
      t[h] = e === 0 ? sign * m * 2 ** -24 : e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
    }
    return t;
  };
  const load = async (url) => {
    const buf = await (await fetch(url)).arrayBuffer();
    const dv = new DataView(buf);
    if (String.fromCharCode(...new Uint8Array(buf, 0, 4)) !== "GDWD") throw new Error("not a decoder file");
    const n = dv.getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
    const raw = new Uint16Array(buf, 8 + n);
    S.half ??= halfTable();
    const layers = [];
    let at = 0;
    for (const [nIn, nOut] of header.layers) {
      const W = new Float32Array(nIn * nOut), b = new Float32Array(nOut);  // W: (nOut, nIn) row-major
      for (let i = 0; i < W.length; i++) W[i] = S.half[raw[at + i]];
      at += W.length;
      for (let i = 0; i < nOut; i++) b[i] = S.half[raw[at + i]];
      at += nOut;
      layers.push({ W, b, nIn, nOut });
    }
    return { header, layers };
  };

  let net = S.nets.get(file.url);
  if (!net) {
    net = load(file.url);
    S.nets.set(file.url, net);
    while (S.nets.size > 4) S.nets.delete(S.nets.keys().next().value);  // a few models' weights, not all
  }
  let d;
  try {
    d = await net;
  } catch (err) {
    S.nets.delete(file.url);  // try again on the next move
    console.warn("genai-demo: could not load the decoder", err);
    return [];
  }
  const t0 = performance.now();
  const k = d.header.num_classes;
  let h = new Float32Array(2 + k);
  h[0] = z1;
  h[1] = z2;
  if (k) h[2 + Math.min(k - 1, Math.max(0, digit | 0))] = 1;
  d.layers.forEach(({ W, b, nIn, nOut }, li) => {
    const out = new Float32Array(nOut), relu = d.header.activations[li] === "relu";
    for (let j = 0; j < nOut; j++) {
      let s = b[j];
      const row = j * nIn;
      for (let i = 0; i < nIn; i++) s += W[row + i] * h[i];
      out[j] = relu ? Math.max(s, 0) : 1 / (1 + Math.exp(-s));
    }
    h = out;
  });
  // (784,) Bernoulli means → a 28×28 grey image; CSS scales the canvas up with crisp pixels
  const img = new ImageData(28, 28);
  for (let p = 0; p < 784; p++) {
    const v = Math.floor(Math.min(1, Math.max(0, h[p])) * 255 + 0.5);  // rounded like images.to_uint8
    img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v;
    img.data[4 * p + 3] = 255;
  }
  canvas.getContext("2d").putImageData(img, 0, 0);
  canvas.setAttribute("aria-label", `The digit decoded at z = (${z1}, ${z2})${k ? ` for class ${digit}` : ""}`);
  S.draws += 1;
  S.last = { z1, z2, digit, url: file.url, ms: performance.now() - t0 };
  const note = document.querySelector("#latent-decoded .decoder-note");
  const sizes = d.header.layers.map((l) => l[0]).slice(1).concat(d.header.layers.at(-1)[1]);  // hidden widths, 784
  const zh = document.documentElement.lang === "zh-CN";  // set by the EN | 中文 switch (ui/lang.py)
  const inputs = k ? `(2) + ${zh ? "数字" : "digit"} (${k})` : "(2)";
  if (note) note.textContent = zh ? `在你的浏览器中解码，用时 ${S.last.ms.toFixed(1)} ms · z ${inputs} → ${sizes.join(" → ")}`
    : `decoded in your browser in ${S.last.ms.toFixed(1)} ms · z ${inputs} → ${sizes.join(" → ")}`;
  return [];
}
