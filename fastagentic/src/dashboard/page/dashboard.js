// FastAgentic dashboard: reads /dashboard/events (server-sent events, one
// JSON snapshot each) and draws everything itself: no library, no request
// to any other origin. Data only ever goes in through textContent.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const SHOWN_CALLS = 100;
  const PALETTE = ["#3563e9", "#1f9d55", "#c77c02", "#8e44ad", "#d64545", "#138d90", "#7a8299"];

  let calls = [];
  let latestSeq = 0;
  let last = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "title") node.title = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Formatting
  const int = (n) => Math.round(n).toLocaleString("en-US");
  function usd(x) {
    if (!x) return "$0";
    if (Math.abs(x) >= 1) return "$" + x.toFixed(2);
    if (Math.abs(x) >= 0.0001) return "$" + x.toFixed(4);
    return "$" + x.toPrecision(2);
  }
  function pct(x) {
    if (x === null || x === undefined) return "–";
    const p = x * 100;
    return (Number.isInteger(Math.round(p * 10) / 10) ? p.toFixed(0) : p.toFixed(1)) + "%";
  }
  function ms(x) {
    if (!x) return "0 ms";
    if (x >= 1000) return (x / 1000).toFixed(x >= 10000 ? 0 : 2) + " s";
    if (x >= 10) return Math.round(x) + " ms";
    return x.toFixed(1) + " ms";
  }
  const clock = (t) => new Date(t).toLocaleTimeString("en-GB", { hour12: false });
  const nodeName = (path) => (path ? path : "root");

  function fill(tbody, rows, empty, columns) {
    tbody.replaceChildren();
    if (!rows.length) {
      tbody.append(el("tr", {}, el("td", { colspan: String(columns), class: "sub" }, empty)));
      return;
    }
    for (const row of rows) tbody.append(row);
  }

  // Cards
  function cards(s) {
    const r = s.requests, l = s.llm;
    $("stat-requests").textContent = int(r.total);
    $("stat-requests-sub").textContent = r.in_flight + " in flight";
    $("stat-calls").textContent = int(l.calls);
    $("stat-calls-sub").textContent = int(l.input_tokens + l.output_tokens) + " tokens";
    $("stat-errors").textContent = int(l.errors);
    $("stat-errors").classList.toggle("bad", l.errors > 0);
    $("stat-errors-sub").textContent = "LLM calls · " + int(r.errors) + " HTTP ≥ 400";
    const exact = s.cache.exact, semantic = s.cache.semantic;
    const lookups = (c) => c.hits + c.misses + c.refreshes;
    $("stat-cache").textContent = pct(exact.hit_rate);
    let cacheSub = int(exact.hits) + " hits of " + int(lookups(exact));
    cacheSub += " · semantic " + (lookups(semantic) ? pct(semantic.hit_rate) + " of " + int(lookups(semantic)) : "–");
    $("stat-cache-sub").textContent = cacheSub;
    $("stat-cost").textContent = usd(l.cost_usd);
    $("stat-cost-sub").textContent = usd(l.saved_usd) + " saved by caches";
    $("stat-retries").textContent = int(l.retries) + " · " + int(l.fallbacks);
    $("stat-retries-sub").textContent = "retries · fallbacks";
    const b = s.breakers, total = b.open + b.half_open + b.closed;
    $("stat-breakers").textContent = b.open + " open";
    $("stat-breakers").classList.toggle("bad", b.open > 0);
    $("stat-breakers-sub").textContent = total
      ? b.half_open + " half-open · " + b.closed + " closed"
      : "none in the gateway trees";
  }

  // Charts
  const LEFT = 56, RIGHT = 10, TOP = 10, BOTTOM = 24;
  // Drawn at the chart's own size, so text is never stretched.
  let W = 600, H = 170;
  function size(chart) {
    W = Math.max(300, chart.clientWidth || 600);
    H = Math.max(120, (chart.clientHeight || 190) - 20);
  }

  function timeDomain(s) {
    const span = s.bucket_seconds * 1000;
    // The current bucket is drawn whole, though only part of it has passed.
    const newest = s.series.length ? s.series[s.series.length - 1].t + span : 0;
    const end = Math.max(s.now_ms, newest);
    let start = Math.max(s.started_ms, end - 90 * span);
    if (s.series.length) start = Math.min(start, s.series[0].t);
    if (end - start < 12 * span) start = end - 12 * span;
    return [start, end];
  }

  function frame(chart, domain, maxY, formatY) {
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img" });
    const x = (t) => LEFT + ((t - domain[0]) / (domain[1] - domain[0])) * (W - LEFT - RIGHT);
    const y = (v) => H - BOTTOM - (v / maxY) * (H - TOP - BOTTOM);
    for (let i = 0; i <= 4; i++) {
      const v = (maxY * i) / 4;
      root.append(svg("line", { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: "axis" }));
      root.append(svg("text", { x: LEFT - 6, y: y(v) + 3, "text-anchor": "end" }, formatY(v)));
    }
    for (let i = 0; i <= 4; i++) {
      const t = domain[0] + ((domain[1] - domain[0]) * i) / 4;
      root.append(svg("text", { x: x(t), y: H - 6, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, clock(t)));
    }
    chart.replaceChildren(root);
    return { root, x, y };
  }

  function legend(chart, items) {
    const box = el("div", { class: "legend" });
    for (const [label, color, dashed] of items) {
      const swatch = el("i");
      swatch.style.background = dashed ? "transparent" : color;
      if (dashed) swatch.style.border = "1px dashed " + color;
      box.append(el("span", {}, swatch, label));
    }
    chart.append(box);
  }

  function empty(chart, text) {
    size(chart);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H });
    root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, text));
    chart.replaceChildren(root);
  }

  function latencyChart(s) {
    const select = $("latency-series");
    const keys = new Map();
    for (const bucket of s.series)
      for (const p of bucket.points) {
        const key = p.endpoint + " · " + p.model;
        keys.set(key, (keys.get(key) || 0) + p.calls);
      }
    const wanted = select.value;
    const ordered = [...keys.entries()].sort((a, b) => b[1] - a[1]).map((e) => e[0]);
    if (ordered.join("\n") !== [...select.options].map((o) => o.value).join("\n")) {
      select.replaceChildren(...ordered.map((k) => el("option", { value: k }, k)));
      if (ordered.includes(wanted)) select.value = wanted;
    }
    const chart = $("latency-chart");
    const key = select.value;
    if (!key) return empty(chart, "No LLM calls in the last 15 minutes");
    const points = [];
    for (const bucket of s.series)
      for (const p of bucket.points)
        if (p.endpoint + " · " + p.model === key) points.push([bucket.t + (s.bucket_seconds * 500), p]);
    const maxY = Math.max(1, ...points.map(([, p]) => p.p99_ms)) * 1.15;
    size(chart);
    const domain = timeDomain(s);
    const { root, x, y } = frame(chart, domain, maxY, ms);
    for (const [field, color] of [["p50_ms", "var(--p50)"], ["p95_ms", "var(--p95)"], ["p99_ms", "var(--p99)"]]) {
      const line = points.map(([t, p]) => x(t).toFixed(1) + "," + y(p[field]).toFixed(1)).join(" ");
      root.append(svg("polyline", { points: line, fill: "none", stroke: color, "stroke-width": 2, "vector-effect": "non-scaling-stroke" }));
      for (const [t, p] of points) root.append(svg("circle", { cx: x(t), cy: y(p[field]), r: 2.5, fill: color }));
    }
    legend(chart, [["p50", "#3563e9"], ["p95", "#c77c02"], ["p99", "#d64545"]]);
  }

  function groupOf(by, point) {
    return by === "model" ? point.model : point.endpoint;
  }

  function costChart(s) {
    const by = $("cost-by").value;
    const chart = $("cost-chart");
    const totals = new Map();
    const perBucket = s.series.map((bucket) => {
      const groups = new Map();
      const rows = by === "user" ? bucket.users.map((u) => [u.user || "(no user)", u.cost_usd]) : bucket.points.map((p) => [groupOf(by, p), p.cost_usd]);
      for (const [key, cost] of rows) {
        groups.set(key, (groups.get(key) || 0) + cost);
        totals.set(key, (totals.get(key) || 0) + cost);
      }
      const saved = bucket.points.reduce((sum, p) => sum + p.saved_usd, 0);
      return { t: bucket.t, groups, saved };
    });
    const top = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, PALETTE.length - 1).map((e) => e[0]);
    const color = (key) => (top.includes(key) ? PALETTE[top.indexOf(key)] : PALETTE[PALETTE.length - 1]);
    if (!perBucket.length) return empty(chart, "No LLM calls in the last 15 minutes");
    const stackTop = (b) => [...b.groups.values()].reduce((a, c) => a + c, 0);
    const maxY = Math.max(1e-6, ...perBucket.map((b) => Math.max(stackTop(b), b.saved))) * 1.15;
    size(chart);
    const domain = timeDomain(s);
    const { root, x, y } = frame(chart, domain, maxY, usd);
    const width = Math.max(3, (x(domain[0] + s.bucket_seconds * 1000) - x(domain[0])) * 0.8);
    for (const b of perBucket) {
      let base = 0;
      for (const [key, cost] of b.groups) {
        if (cost <= 0) continue;
        const x0 = x(b.t + s.bucket_seconds * 100);
        root.append(svg("rect", { x: x0, y: y(base + cost), width, height: Math.max(0.5, y(base) - y(base + cost)), fill: color(key) }));
        base += cost;
      }
    }
    const savedLine = perBucket.map((b) => x(b.t + s.bucket_seconds * 500).toFixed(1) + "," + y(b.saved).toFixed(1)).join(" ");
    root.append(svg("polyline", { points: savedLine, fill: "none", stroke: "#1f9d55", "stroke-width": 2, "stroke-dasharray": "5 3", "vector-effect": "non-scaling-stroke" }));
    for (const b of perBucket)
      if (b.saved > 0) root.append(svg("circle", { cx: x(b.t + s.bucket_seconds * 500), cy: y(b.saved), r: 2.5, fill: "#1f9d55" }));
    legend(chart, top.map((k) => [k || "(no user)", color(k)]).concat([["saved by caches", "#1f9d55", true]]));
  }

  function costTable(s) {
    const by = $("cost-by").value;
    $("cost-key").textContent = by === "user" ? "User" : by === "model" ? "Model" : "Endpoint";
    const source = by === "user" ? s.llm.cost_by_user : by === "model" ? s.llm.cost_by_model : s.llm.cost_by_endpoint;
    const rows = [...source].sort((a, b) => b[1] - a[1]).slice(0, 8)
      .map(([key, cost]) => el("tr", {}, el("td", {}, key || "(no user)"), el("td", { class: "num" }, usd(cost))));
    fill($("cost-table").tBodies[0], rows, "No cost yet", 2);
  }

  // Tables
  function targets(s) {
    const rows = s.targets.map((t) => {
      const breaker = t.breaker ? el("span", { class: "pill " + t.breaker[1], title: t.breaker[0] }, t.breaker[1].replace("_", "-")) : "–";
      const rate = t.error_rate === null ? "–" : pct(t.error_rate);
      const rateCell = el("td", { class: "num" }, rate);
      if (t.error_rate > 0.5) rateCell.style.color = "var(--bad)";
      return el("tr", { class: t.breaker ? "breaker-" + t.breaker[1] : "" },
        el("td", {}, t.endpoints.join(", ")),
        el("td", { class: "mono" }, nodeName(t.path)),
        el("td", {}, t.chain.join(" › ")),
        el("td", {}, breaker),
        el("td", { class: "num" }, int(t.answered)),
        el("td", { class: "num" }, int(t.failed)),
        rateCell,
        el("td", { class: "num" }, t.answered ? ms(t.mean_ms) : "–"),
        el("td", { class: "num" }, t.answered ? ms(t.p95_ms) : "–"));
    });
    fill($("targets").tBodies[0], rows, "No gateway trees", 9);
  }

  function smallTables(s) {
    const errors = [...s.llm.errors_by_type].sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => el("tr", {}, el("td", {}, el("span", { class: "pill bad" }, kind)), el("td", { class: "num" }, int(n))));
    for (const [status, n] of s.requests.by_status)
      if (status >= 400) errors.push(el("tr", {}, el("td", {}, "HTTP " + status), el("td", { class: "num" }, int(n))));
    fill($("errors").tBodies[0], errors, "No errors", 2);
    const caches = s.caches.map((c) => el("tr", {}, el("td", {}, c.node), el("td", { class: "num" }, int(c.hits)), el("td", { class: "num" }, int(c.misses)), el("td", { class: "num" }, int(c.stores))));
    fill($("caches").tBodies[0], caches, "No cache in the gateway trees", 4);
    const endpoints = s.requests.by_endpoint.map((e) => el("tr", {}, el("td", {}, e.endpoint), el("td", { class: "num" }, int(e.requests)), el("td", { class: "num" }, int(e.errors))));
    fill($("endpoints").tBodies[0], endpoints, "No endpoints", 3);
  }

  function routeCell(c) {
    const cell = el("td", { class: "mono" });
    for (const p of c.passed_over) {
      cell.append(el("span", { class: "passed", title: p.model + ": " + p.error + (p.status ? " " + p.status : "") }, nodeName(p.path)), " → ");
    }
    cell.append(nodeName(c.route));
    if (c.attempts > 1) cell.append(" ×" + c.attempts);
    return cell;
  }

  function callRow(c, fresh) {
    const status = c.status === "ok" ? el("span", { class: "pill ok" }, "ok") : el("span", { class: "pill bad" }, c.status + (c.upstream_status ? " " + c.upstream_status : ""));
    const cache = c.cache ? el("span", { class: "pill " + (c.cache.endsWith("HIT") ? "hit" : "miss") }, c.cache) : "–";
    const model = el("td", {}, c.model);
    if (c.answered_by && c.answered_by !== c.model) model.append(el("div", { class: "sub" }, "→ " + c.answered_by));
    const statusCell = el("td", {}, status);
    if (c.prompt !== undefined || c.answer !== undefined) {
      const details = el("details", {}, el("summary", {}, "prompt & answer"));
      if (c.prompt !== undefined) details.append(el("pre", {}, c.prompt));
      if (c.answer !== undefined) details.append(el("pre", {}, c.answer));
      statusCell.append(details);
    }
    return el("tr", { class: fresh ? "new" : "", "data-seq": String(c.seq) },
      el("td", { class: "mono" }, clock(c.time_ms)),
      el("td", {}, c.endpoint),
      model,
      routeCell(c),
      statusCell,
      el("td", { class: "num" }, ms(c.latency_ms)),
      el("td", { class: "num" }, int(c.input_tokens) + " / " + int(c.output_tokens)),
      el("td", { class: "num" }, usd(c.cost_usd)),
      el("td", {}, cache),
      el("td", {}, c.user || "–"));
  }

  function requestLog(s, fresh) {
    const shown = calls.slice(-SHOWN_CALLS).reverse();
    fill($("calls").tBodies[0], shown.map((c) => callRow(c, fresh.has(c.seq))), "No LLM calls yet", 10);
    $("log-note").textContent = "latest " + Math.min(shown.length, SHOWN_CALLS) + " of " + calls.length + " kept (up to " + s.capacity + ")" + (s.prompts_shown ? " · prompts shown, secrets masked" : "");
  }

  function render(s, fresh) {
    $("app-title").textContent = s.app;
    document.title = s.app + " · FastAgentic dashboard";
    const replica = $("replica");
    replica.hidden = !s.replica;
    replica.textContent = s.replica ? "replica " + s.replica : "";
    cards(s);
    latencyChart(s);
    costChart(s);
    costTable(s);
    targets(s);
    smallTables(s);
    requestLog(s, fresh);
    $("footer").textContent = "Updated " + clock(s.now_ms) + " · up since " + new Date(s.started_ms).toLocaleString("en-GB") + " · in memory only: 15 minutes of history, the latest " + s.capacity + " calls";
  }

  function receive(s) {
    if (s.latest < latestSeq) { calls = []; latestSeq = 0; } // the app restarted
    const fresh = new Set();
    for (const c of s.calls) {
      if (c.seq > latestSeq) {
        calls.push(c);
        if (last) fresh.add(c.seq);
      }
    }
    if (calls.length > s.capacity) calls = calls.slice(calls.length - s.capacity);
    latestSeq = Math.max(latestSeq, s.latest);
    last = s;
    render(s, fresh);
  }

  function connect() {
    const live = $("live-dot"), text = $("live-text");
    const events = new EventSource("/dashboard/events");
    events.addEventListener("snapshot", (event) => {
      try {
        receive(JSON.parse(event.data));
      } catch (error) {
        text.textContent = "bad data: " + error;
      }
    });
    events.onopen = () => { live.classList.add("on"); text.textContent = "live"; };
    events.onerror = () => {
      live.classList.remove("on");
      text.textContent = "reconnecting…";
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("latency-series").addEventListener("change", () => last && latencyChart(last));
    $("cost-by").addEventListener("change", () => { if (last) { costChart(last); costTable(last); } });
    connect();
  });
})();
