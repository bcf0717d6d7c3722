// GuardedAI dashboard. Reads only the public JSON endpoints it is served beside, redraws when the server-sent event
// stream says something changed, and draws its charts as plain SVG. Every value from the server is set as text, never
// as markup: tenant names, reasons and alert messages come from users and providers.
"use strict";

(function () {
  const root = document.querySelector('meta[name="guardedai-root"]').content;
  const svgNs = "http://www.w3.org/2000/svg";
  let bucket = "Hour";
  let refreshing = null;
  let again = false;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = tag.startsWith("svg:") ? document.createElementNS(svgNs, tag.slice(4)) : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function fill(target, nodes) { target.replaceChildren(...nodes); }

  const money = (v) => "$" + (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4));
  const count = (v) => Number(v).toLocaleString("en-US");
  const when = (iso) => new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  const words = { Requests: "requests", InputTokens: "input tokens", OutputTokens: "output tokens", TotalTokens: "tokens", CostUsd: "cost" };
  const windows = { Minute: "Per minute", Hour: "Hourly", Day: "Daily", Month: "Monthly", Conversation: "Per conversation", Run: "Per run" };
  const amount = (dimension, v) => dimension === "CostUsd" ? money(v) : count(Math.round(v));

  async function getJson(path) {
    const response = await fetch(root + path, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) throw new Error(path + " answered " + response.status);
    return response.json();
  }

  async function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      try {
        const [status, summary, limits, timeline, forecast, breakers, alerts, denials, tenants, models, conversations] = await Promise.all([
          getJson("/status"), getJson("/summary"), getJson("/limits"), getJson("/usage/timeline?bucket=" + bucket.toLowerCase()),
          getJson("/forecast"), getJson("/breakers"), getJson("/alerts?count=20"), getJson("/denials?count=20"),
          getJson("/usage/tenants?top=10"), getJson("/usage/models?top=10"), getJson("/usage/conversations?top=10"),
        ]);
        drawStatus(status);
        drawSummary(summary);
        drawLimits(limits);
        drawChart(timeline);
        drawForecast(forecast);
        drawBreakers(breakers);
        drawAlerts(alerts.alerts);
        drawDenials(denials.denials);
        drawGroups($("tenants"), "Tenant", tenants.groups);
        drawGroups($("models"), "Model", models.groups);
        drawGroups($("conversations"), "Conversation", conversations.groups);
        $("error").textContent = "";
        document.body.dataset.version = String(status.version);
        document.body.dataset.loaded = "true";
      } catch (error) {
        $("error").textContent = "Could not refresh: " + error.message;
      } finally {
        refreshing = null;
        if (again) { again = false; refresh(); }
      }
    })();
    return refreshing;
  }

  function drawStatus(status) {
    const health = $("health");
    health.textContent = status.status;
    health.dataset.state = status.status;
    health.title = status.description + (status.emergencyStop ? " Emergency stop: " + status.emergencyStop : "");
    $("now").textContent = when(status.now);
    const ledger = status.ledger;
    $("ledger").textContent = "Ledger " + ledger.location + ": " + count(ledger.records) + " records. Prices as of " + status.pricesAsOf + ".";
  }

  function drawSummary(summary) {
    const today = summary.today.totals, month = summary.month.totals;
    $("today-cost").textContent = money(today.costUsd);
    $("today-requests").textContent = count(today.requests) + " calls, " + count(today.totalTokens) + " tokens";
    $("today-requests").dataset.requests = String(today.requests);
    $("today-denied").textContent = count(today.denied);
    $("month-cost").textContent = money(month.costUsd);
    $("month-requests").textContent = count(month.requests) + " calls";
  }

  function levelOf(percent, thresholds) {
    if (percent >= thresholds.trip) return "trip";
    if (percent >= thresholds.critical) return "critical";
    if (percent >= thresholds.warn) return "warn";
    return "ok";
  }

  function limitBar(limit, thresholds, scope) {
    const percent = Math.min(100, Math.max(0, limit.percent));
    const bar = el("div", { class: "fill", dataset: { level: levelOf(limit.percent, thresholds) } });
    bar.style.width = percent + "%";
    const track = el("div", { class: "track", role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": percent.toFixed(1),
      "aria-label": windows[limit.window] + " " + words[limit.dimension] }, bar);
    for (const [name, at] of [["warn", thresholds.warn], ["critical", thresholds.critical], ["trip", thresholds.trip], ...thresholds.extra.map((x) => ["alert", x])]) {
      const tick = el("span", { class: "tick", title: name + " at " + at + "%" });
      tick.style.left = "calc(" + Math.min(100, at) + "% - 1px)";
      track.append(tick);
    }
    return el("div", { class: "limit", dataset: { scope, dimension: limit.dimension, window: limit.window, used: limit.used, limit: limit.limit } },
      el("div", { class: "limit-label" },
        el("span", { text: windows[limit.window] + " " + words[limit.dimension] }),
        el("span", { text: amount(limit.dimension, limit.used) + " / " + amount(limit.dimension, limit.limit) + " (" + limit.percent.toFixed(1) + "%)" })),
      track);
  }

  function drawLimits(data) {
    if (data.budgets.length === 0) { fill($("limits"), [el("p", { class: "empty", text: "No budgets are registered." })]); return; }
    fill($("limits"), data.budgets.map((b) => el("div", { class: "budget", dataset: { budget: b.budget } },
      el("div", { class: "budget-head" },
        el("strong", { text: b.budget }),
        el("span", { class: "muted", text: [b.model, b.tier !== "Custom" ? b.tier : null].filter(Boolean).join(" · ") }),
        el("span", { class: "pill", dataset: { state: b.breaker.state }, text: "breaker " + b.breaker.state, title: b.breaker.reason || "" })),
      ...b.limits.map((l) => limitBar(l, b.thresholds, b.budget)))));
  }

  function drawChart(timeline) {
    const points = timeline.points;
    const width = 720, height = 220, left = 48, bottom = 22, top = 10;
    const maxCost = Math.max(...points.map((p) => p.costUsd), 0);
    const maxRequests = Math.max(...points.map((p) => p.requests), 0);
    const useCost = maxCost > 0;
    const max = useCost ? maxCost : Math.max(maxRequests, 1);
    const slot = (width - left) / Math.max(points.length, 1);
    const svg = el("svg:svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "Spend per " + timeline.bucket.toLowerCase() });
    svg.append(el("svg:line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
    svg.append(el("svg:text", { x: 2, y: top + 10, text: useCost ? money(max) : count(max) + " calls" }));
    let requests = 0, cost = 0;
    points.forEach((p, i) => {
      requests += p.requests;
      cost += p.costUsd;
      const value = useCost ? p.costUsd : p.requests;
      const h = value <= 0 ? 0 : Math.max(2, (value / max) * (height - bottom - top));
      const x = left + i * slot + slot * 0.15;
      const rect = el("svg:rect", { class: "bar" + (p.denied > 0 && p.requests === p.denied ? " denied" : ""), x: x.toFixed(1),
        y: (height - bottom - h).toFixed(1), width: (slot * 0.7).toFixed(1), height: h.toFixed(1),
        "data-start": p.start, "data-requests": p.requests, "data-cost": p.costUsd },
        el("svg:title", { text: when(p.start) + ": " + money(p.costUsd) + ", " + count(p.requests) + " calls (" + count(p.denied) + " denied), " + count(p.totalTokens) + " tokens" }));
      svg.append(rect);
      const every = Math.ceil(points.length / 8);
      if (i % every === 0) {
        const d = new Date(p.start);
        const label = timeline.bucket === "Hour" ? String(d.getUTCHours()).padStart(2, "0") + ":00" : (d.getUTCMonth() + 1) + "/" + d.getUTCDate();
        svg.append(el("svg:text", { x: (left + i * slot).toFixed(1), y: height - 6, text: label }));
      }
    });
    const chart = $("chart");
    chart.dataset.bucket = timeline.bucket;
    chart.dataset.requests = String(requests);
    chart.dataset.points = String(points.length);
    fill(chart, [svg]);
    $("chart-caption").textContent = (timeline.bucket === "Hour" ? "Last 24 hours (UTC): " : "Last 30 days (UTC): ") + money(cost) + ", " + count(requests) + " calls.";
  }

  function drawForecast(data) {
    const total = data.budgets.reduce((sum, b) => sum + b.projectedMonthEndCostUsd, 0);
    $("forecast-cost").textContent = data.budgets.length ? money(total) : "–";
    $("forecast-method").textContent = data.budgets.length ? "by " + [...new Set(data.budgets.map((b) => b.method))].join(", ") : "no usage this month";
    fill($("forecast"), data.budgets.length ? data.budgets.map((b) => el("li", { dataset: { budget: b.budget } },
      el("strong", { text: b.budget }), " ",
      el("span", { text: money(b.monthToDateCostUsd) + " so far, " + money(b.projectedMonthEndCostUsd) + " projected (" + b.method + ")" }),
      ...b.limits.filter((l) => l.window === "Month").map((l) => el("div", { class: "when",
        text: "Monthly " + words[l.dimension] + ": " + l.projectedPercent.toFixed(0) + "% of " + amount(l.dimension, l.limit) +
          (l.reachedAt ? ", reached " + when(l.reachedAt) : "") })))) : [el("li", { class: "empty", text: "Nothing to project yet." })]);
  }

  function drawBreakers(data) {
    const items = data.breakers.map((b) => {
      const li = el("li", { dataset: { scope: b.scope, state: b.state } },
        el("span", { class: "pill", dataset: { state: b.state }, text: b.state }), " ", el("strong", { text: b.scope }),
        b.reason ? el("div", { class: "when", text: b.reason + (b.openUntil ? " — until " + when(b.openUntil) : "") }) : null);
      if (b.state !== "Closed") {
        const button = el("button", { type: "button", text: "Reset" });
        button.addEventListener("click", () => act("/breakers/" + encodeURIComponent(b.scope) + "/reset", null));
        li.append(" ", button);
      }
      return li;
    });
    if (data.emergencyStop) items.unshift(el("li", { text: "Emergency stop: " + data.emergencyStop }));
    fill($("breakers"), items.length ? items : [el("li", { class: "empty", text: "No breakers." })]);
  }

  function drawAlerts(alerts) {
    fill($("alerts"), alerts.length ? alerts.map((a) => el("li", { dataset: { level: a.level } },
      el("span", { class: "pill", dataset: { state: a.severity === "Critical" ? "Open" : a.severity === "Warning" ? "HalfOpen" : "Closed" }, text: a.level }), " ",
      el("span", { text: a.message }), el("div", { class: "when", text: when(a.timestamp) + " · " + a.scope })))
      : [el("li", { class: "empty", text: "No alerts since the application started." })]);
  }

  function drawDenials(denials) {
    fill($("denials"), denials.length ? denials.map((d) => el("li", {},
      el("span", { text: d.reason || "denied" }),
      el("div", { class: "when", text: when(d.timestamp) + " · " + d.budget + (d.tenant ? " · " + d.tenant : "") + (d.model ? " · " + d.model : "") })))
      : [el("li", { class: "empty", text: "No denials in the last 24 hours." })]);
  }

  function drawGroups(table, title, groups) {
    const head = el("tr", {}, el("th", { text: title }), el("th", { text: "Calls" }), el("th", { text: "Denied" }), el("th", { text: "Cost" }));
    const rows = groups.map((g) => el("tr", { dataset: { key: g.key } }, el("td", { text: g.key }), el("td", { text: count(g.totals.requests) }),
      el("td", { text: count(g.totals.denied) }), el("td", { text: money(g.totals.costUsd) })));
    fill(table, [el("thead", {}, head), el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: 4, text: "None today." }))]))]);
  }

  async function act(path, reason) {
    const response = await fetch(root + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reason }) });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      $("error").textContent = problem.detail || (path + " answered " + response.status);
    }
    refresh();
  }

  function connect() {
    const live = $("live");
    const source = new EventSource(root + "/events");
    source.addEventListener("open", () => { live.textContent = "live"; live.dataset.state = "live"; });
    source.addEventListener("update", () => refresh());
    source.addEventListener("error", () => { live.textContent = "reconnecting"; live.dataset.state = "offline"; });
  }

  document.querySelectorAll(".toggle button").forEach((button) => button.addEventListener("click", () => {
    bucket = button.dataset.bucket;
    document.querySelectorAll(".toggle button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    refresh();
  }));
  $("emergency-stop").addEventListener("click", () => {
    const reason = window.prompt("Stop every budget now. Why?");
    if (reason) act("/breakers/emergency-stop", reason);
  });
  $("reset-all").addEventListener("click", () => {
    if (window.confirm("Close every breaker and lift any emergency stop?")) act("/breakers/reset-all", "reset from the dashboard");
  });

  refresh();
  connect();
})();
