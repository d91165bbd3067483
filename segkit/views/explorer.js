// The interactive graph of `segkit graph -o x.html` (segkit/views/graph_explorer.py writes
// the data). Hand-written, no library, no network: a layered layout of the boxes that are
// visible (composite blocks collapsed unless expanded), drawn as SVG, with pan and zoom,
// expand/collapse, a panel with the hovered or selected box's report row, and the path
// that feeds the selected box highlighted.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("graph-data").textContent);
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FONT = "12px system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
  const BOX_H = 50, RANK_GAP = 46, NODE_GAP = 24, PAD = 10, TITLE = 16;
  const svg = document.getElementById("graph");
  const info = document.getElementById("info");
  const expanded = new Set();
  let selected = null, view = { x: 0, y: 0, k: 1 }, viewport = null, layout = null;

  // The chain of boxes from the top level down to each primitive node.
  const chains = {};
  for (const id of Object.keys(DATA.nodes)) {
    const chain = [];
    for (let box = id; box !== null; box = DATA.boxes[box].parent) chain.unshift(box);
    chains[id] = chain;
  }
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = FONT;
  const textWidth = (text) => ctx.measureText(text).width;

  function visibleOf(id) {
    if (id in DATA.inputs) return "in:" + id;
    for (const box of chains[id]) if (!(DATA.boxes[box].composite && expanded.has(box))) return box;
    return id;
  }

  // The visible graph: boxes in first-use order (so, topological) and deduplicated edges.
  function visibleGraph() {
    const order = Object.keys(DATA.inputs).map((n) => "in:" + n), edges = new Map();
    const seen = new Set(order);
    const add = (a, b) => { if (a !== b) edges.set(a + "\u0000" + b, [a, b]); };
    for (const [id, sources] of Object.entries(DATA.nodes)) {
      const to = visibleOf(id);
      if (!seen.has(to)) { seen.add(to); order.push(to); }
      for (const src of sources) add(visibleOf(src), to);
    }
    for (const [name, out] of Object.entries(DATA.outputs)) { order.push("out:" + name); add(visibleOf(out.from), "out:" + name); }
    return { order, edges: [...edges.values()] };
  }

  function label(id) {
    if (id.startsWith("in:")) return [id.slice(3), "input " + DATA.inputs[id.slice(3)]];
    if (id.startsWith("out:")) { const o = DATA.outputs[id.slice(4)]; return [id.slice(4), "output " + o.shape + (o.train ? " (training)" : "")]; }
    const b = DATA.boxes[id];
    return [id, b.block + " \u00b7 " + b.shape];
  }

  // Layers by longest path, orders by barycenter sweeps, x by the mean of the parents' x.
  function computeLayout() {
    const { order, edges } = visibleGraph();
    const preds = new Map(order.map((n) => [n, []])), succs = new Map(order.map((n) => [n, []]));
    for (const [a, b] of edges) { preds.get(b).push(a); succs.get(a).push(b); }
    const rank = new Map();
    for (const n of order) rank.set(n, Math.max(-1, ...preds.get(n).map((p) => rank.get(p) ?? -1)) + 1);
    const ranks = [];
    for (const n of order) (ranks[rank.get(n)] ||= []).push(n);
    const pos = new Map();
    const index = () => ranks.forEach((r) => r.forEach((n, i) => pos.set(n, i)));
    index();
    const bary = (n, nbrs) => { const l = nbrs.get(n); return l.length ? l.reduce((s, m) => s + pos.get(m), 0) / l.length : pos.get(n); };
    for (let sweep = 0; sweep < 4; sweep++) {
      const down = sweep % 2 === 0, list = down ? ranks : [...ranks].reverse();
      for (const r of list) { const key = new Map(r.map((n) => [n, bary(n, down ? preds : succs)])); r.sort((a, b) => key.get(a) - key.get(b)); r.forEach((n, i) => pos.set(n, i)); }
    }
    const boxes = new Map();
    ranks.forEach((r, k) => {
      const items = r.map((n) => {
        const [top, sub] = label(n);
        const w = Math.max(textWidth(top), textWidth(sub)) + 2 * PAD + (DATA.boxes[n]?.composite ? 22 : 0);
        const ps = preds.get(n).filter((p) => boxes.has(p));
        const want = ps.length ? ps.reduce((s, p) => s + boxes.get(p).x, 0) / ps.length : 0;
        return { n, w, want, top, sub };
      });
      let last = -Infinity;
      for (const it of items) { it.x = Math.max(it.want, last + NODE_GAP + it.w / 2); last = it.x + it.w / 2; }
      const shift = items.reduce((s, it) => s + it.want - it.x, 0) / (items.length || 1);
      for (const it of items) boxes.set(it.n, { x: it.x + shift, y: k * (BOX_H + RANK_GAP), w: it.w, top: it.top, sub: it.sub });
    });
    return { boxes, edges, preds, clusters: clusters(boxes) };
  }

  // One dashed frame per expanded composite around its visible parts, inner frames first.
  function clusters(boxes) {
    const frames = new Map();
    const grow = (id, x0, y0, x1, y1) => {
      const f = frames.get(id) || { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
      frames.set(id, { x0: Math.min(f.x0, x0), y0: Math.min(f.y0, y0), x1: Math.max(f.x1, x1), y1: Math.max(f.y1, y1) });
    };
    const depth = (id) => { let d = 0; for (let p = DATA.boxes[id].parent; p !== null; p = DATA.boxes[p].parent) d++; return d; };
    const deepest = [...expanded].filter((id) => DATA.boxes[id]).sort((a, b) => depth(b) - depth(a));
    for (const [n, b] of boxes) {
      const parent = DATA.boxes[n]?.parent;
      if (parent != null && expanded.has(parent)) grow(parent, b.x - b.w / 2 - PAD, b.y - PAD - TITLE, b.x + b.w / 2 + PAD, b.y + BOX_H + PAD);
    }
    for (const id of deepest) {
      const f = frames.get(id), parent = DATA.boxes[id].parent;
      if (f && parent !== null && expanded.has(parent)) grow(parent, f.x0 - PAD, f.y0 - PAD - TITLE, f.x1 + PAD, f.y1 + PAD);
    }
    return deepest.filter((id) => frames.has(id)).reverse().map((id) => ({ id, ...frames.get(id) }));
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function draw() {
    layout = computeLayout();
    svg.textContent = "";
    const defs = el("defs", {}, svg);
    const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z" }, marker);
    viewport = el("g", { id: "viewport" }, svg);
    for (const c of layout.clusters) {
      const g = el("g", { class: "cluster", "data-id": c.id }, viewport);
      el("rect", { x: c.x0, y: c.y0, width: c.x1 - c.x0, height: c.y1 - c.y0 }, g);
      const t = el("text", { x: c.x0 + 6, y: c.y0 + 13 }, g);
      t.textContent = "\u2212 " + c.id + " (" + DATA.boxes[c.id].block + ")";
      t.addEventListener("click", (ev) => { ev.stopPropagation(); toggle(c.id); });
    }
    for (const [a, b] of layout.edges) {
      const p = layout.boxes.get(a), q = layout.boxes.get(b), y0 = p.y + BOX_H, y1 = q.y, m = (y1 - y0) / 2;
      el("path", { class: "edge", "data-from": a, "data-to": b, d: `M${p.x},${y0} C${p.x},${y0 + m} ${q.x},${y1 - m} ${q.x},${y1}` }, viewport);
    }
    for (const [n, b] of layout.boxes) {
      const box = DATA.boxes[n];
      const g = el("g", { class: "box" + (box?.composite ? " composite" : "") + (box ? "" : " io"), "data-id": n, transform: `translate(${b.x - b.w / 2},${b.y})` }, viewport);
      el("rect", { width: b.w, height: BOX_H }, g);
      el("text", { x: PAD, y: 20, class: "id" }, g).textContent = b.top;
      el("text", { x: PAD, y: 38, class: "sub" }, g).textContent = b.sub;
      if (box?.composite) {
        const t = el("g", { class: "toggle", "data-id": n, transform: `translate(${b.w - 13},13)` }, g);
        el("circle", { r: 8 }, t);
        el("text", { x: -4, y: 5 }, t).textContent = "+";
        t.addEventListener("click", (ev) => { ev.stopPropagation(); toggle(n); });
      }
      g.addEventListener("click", (ev) => { ev.stopPropagation(); select(n); });
      g.addEventListener("dblclick", (ev) => { ev.stopPropagation(); if (box?.composite) toggle(n); });
      g.addEventListener("mouseenter", () => show(n));
      g.addEventListener("mouseleave", () => show(selected));
    }
    if (selected && !layout.boxes.has(selected)) selected = null;
    highlight();
    show(selected);
    apply();
  }

  function toggle(id) {
    if (expanded.has(id)) {
      for (const e of [...expanded]) if (e === id || e.startsWith(id + ".")) expanded.delete(e);
      selected = id;
    } else {
      expanded.add(id);
      if (selected === id) selected = null;
    }
    draw();
  }

  function select(id) { selected = selected === id ? null : id; highlight(); show(selected); }

  // The boxes the selected one is computed from, and the edges between them.
  function highlight() {
    const feeds = new Set();
    if (selected) {
      const stack = [selected];
      while (stack.length) for (const p of layout.preds.get(stack.pop()) || []) if (!feeds.has(p)) { feeds.add(p); stack.push(p); }
    }
    for (const g of viewport.querySelectorAll(".box")) {
      const id = g.dataset.id;
      g.classList.toggle("selected", id === selected);
      g.classList.toggle("feeds", feeds.has(id));
      g.classList.toggle("faded", !!selected && id !== selected && !feeds.has(id));
    }
    for (const e of viewport.querySelectorAll(".edge")) {
      const on = !!selected && feeds.has(e.dataset.from) && (feeds.has(e.dataset.to) || e.dataset.to === selected);
      e.classList.toggle("feeds", on);
      e.classList.toggle("faded", !!selected && !on);
    }
  }

  function show(id) {
    info.textContent = "";
    const h = document.createElement("h2");
    const p = document.createElement("p");
    if (!id) {
      h.textContent = DATA.name;
      p.textContent = DATA.summary + ". Hover or click a box for its row; + expands a composite block; drag to pan, Ctrl+wheel or the buttons to zoom.";
      info.append(h, p);
      return;
    }
    const box = DATA.boxes[id];
    const [top, sub] = label(id);
    h.textContent = top;
    info.append(h);
    if (!box) { p.textContent = sub; info.append(p); return; }
    const dl = document.createElement("dl");
    for (const [k, v] of [["block", box.block], ["output shape", box.shape], ["stride", box.stride], ["receptive field", box.rf], ["params", box.params], ["MACs", box.macs]]) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = k; dd.textContent = v; dl.append(dt, dd);
    }
    info.append(dl);
    if (box.composite) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = expanded.has(id) ? "collapse" : "expand"; b.dataset.act = "toggle";
      b.addEventListener("click", () => toggle(id));
      info.append(b);
    }
  }

  // Pan and zoom: the viewport group's transform.
  function apply() { viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`); }
  function zoom(factor, cx, cy) {
    const k = Math.min(4, Math.max(0.05, view.k * factor));
    view.x = cx - (cx - view.x) * (k / view.k); view.y = cy - (cy - view.y) * (k / view.k); view.k = k; apply();
  }
  function fit(whole) {
    const b = viewport.getBBox(), w = svg.clientWidth || 800, h = svg.clientHeight || 600;
    const k = Math.min(1, (w - 20) / b.width, whole ? (h - 20) / b.height : Infinity);
    view = { k, x: (w - b.width * k) / 2 - b.x * k, y: 10 - b.y * k };
    apply();
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    if (ev.ctrlKey || ev.metaKey) { const r = svg.getBoundingClientRect(); zoom(Math.exp(-ev.deltaY / 300), ev.clientX - r.left, ev.clientY - r.top); }
    else { view.x -= ev.deltaX; view.y -= ev.deltaY; apply(); }
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => { if (ev.target.closest(".box, .cluster text")) return; drag = { x: ev.clientX, y: ev.clientY }; svg.classList.add("panning"); svg.setPointerCapture(ev.pointerId); });
  svg.addEventListener("pointermove", (ev) => { if (!drag) return; view.x += ev.clientX - drag.x; view.y += ev.clientY - drag.y; drag = { x: ev.clientX, y: ev.clientY }; apply(); });
  svg.addEventListener("pointerup", () => { drag = null; svg.classList.remove("panning"); });
  svg.addEventListener("click", () => { if (selected) select(selected); });

  const actions = {
    "expand-all": () => { for (const [id, b] of Object.entries(DATA.boxes)) if (b.composite) expanded.add(id); draw(); fit(false); },
    "collapse-all": () => { expanded.clear(); draw(); fit(false); },
    "zoom-in": () => zoom(1.25, svg.clientWidth / 2, svg.clientHeight / 2),
    "zoom-out": () => zoom(0.8, svg.clientWidth / 2, svg.clientHeight / 2),
    "fit": () => fit(true),
  };
  for (const b of document.querySelectorAll("header button")) b.addEventListener("click", () => actions[b.dataset.act]());
  if (DATA.expand) for (const [id, b] of Object.entries(DATA.boxes)) if (b.composite) expanded.add(id);
  draw();
  fit(false);
})();
