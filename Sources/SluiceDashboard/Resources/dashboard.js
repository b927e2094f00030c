// The Sluice dashboard: reads the Stats API (/v1/stats/…) and the experiments API (/v1/experiments…) of the
// server that served it, with the project's read key, and draws what they answer. No other host is contacted.
//
// The read key comes from the URL fragment (#key=rk_…, which never reaches a server or its logs) or from the
// form, and is kept in localStorage until "Forget this key". Range and filters live in the fragment too, so a
// reload or a shared link (without the key) shows the same view.
//
// For scripts and tests: each top number is an element with data-metric="NAME" whose data-value is the exact
// value the API answered for the range; <html data-state> is "loading", "ready" or "error", and
// <html data-renders> counts the completed renders; #dashboard carries data-from, data-to and data-filters.
(function () {
  "use strict";

  var STORAGE_KEY = "sluice.readKey";
  var TOP_METRICS = ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"];
  var BREAKDOWNS = [
    { property: "page", title: "Top pages", column: "Page", metrics: ["visitors", "pageviews"] },
    { property: "entry_page", title: "Entry pages", column: "Entry page", metrics: ["visitors", "visits"] },
    { property: "exit_page", title: "Exit pages", column: "Exit page", metrics: ["visitors", "visits"] },
    { property: "referrer", title: "Referrers", column: "Referrer", metrics: ["visitors", "visits"] },
    { property: "utm_source", title: "UTM sources", column: "Source", metrics: ["visitors", "visits"] },
    { property: "utm_medium", title: "UTM media", column: "Medium", metrics: ["visitors", "visits"] },
    { property: "utm_campaign", title: "UTM campaigns", column: "Campaign", metrics: ["visitors", "visits"] },
    { property: "country", title: "Countries", column: "Country", metrics: ["visitors", "visits"] },
    { property: "browser", title: "Browsers", column: "Browser", metrics: ["visitors", "visits"] },
    { property: "os", title: "Operating systems", column: "OS", metrics: ["visitors", "visits"] },
    { property: "device", title: "Devices", column: "Device", metrics: ["visitors", "visits"] },
    { property: "event", title: "Events", column: "Event", metrics: ["visitors", "events", "conversion_rate"] },
  ];
  var METRIC_NAMES = {
    visitors: "Visitors", visits: "Visits", pageviews: "Pageviews", events: "Events",
    bounce_rate: "Bounce rate", visit_duration: "Visit duration", conversion_rate: "Conversion",
  };
  var PROPERTY_NAMES = {};
  BREAKDOWNS.forEach(function (b) { PROPERTY_NAMES[b.property] = b.column; });
  var BREAKDOWN_LIMIT = 10;
  var MAX_IN_FLIGHT = 4;
  var REALTIME_REFRESH_MS = 60000;

  var state = { key: null, range: "7d", from: null, to: null, filters: [] };
  var generation = 0;
  var renders = 0;
  var retryTimer = null;
  var realtimeTimer = null;
  var numberFormat = new Intl.NumberFormat("en");
  var regionNames = null;
  try { regionNames = new Intl.DisplayNames(["en"], { type: "region" }); } catch (e) { regionNames = null; }

  function $(id) { return document.getElementById(id); }

  function element(name, attributes, children) {
    var node = document.createElement(name);
    for (var key in attributes || {}) {
      if (key === "text") node.textContent = attributes[key];
      else if (key === "className") node.className = attributes[key];
      else node.setAttribute(key, attributes[key]);
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg(name, attributes, children) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", name);
    for (var key in attributes || {}) {
      if (key === "text") node.textContent = attributes[key];
      else node.setAttribute(key, attributes[key]);
    }
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function setPageState(value) { document.documentElement.setAttribute("data-state", value); }

  // MARK: - Dates (UTC, as the API counts them)

  function isoDay(date) { return date.toISOString().slice(0, 10); }
  function todayUTC() { return isoDay(new Date()); }
  function parseDay(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text || "")) return null;
    var date = new Date(text + "T00:00:00Z");
    return isNaN(date.getTime()) || isoDay(date) !== text ? null : date;
  }
  function addDays(text, days) {
    var date = parseDay(text);
    date.setUTCDate(date.getUTCDate() + days);
    return isoDay(date);
  }
  function daysBetween(from, to) { return Math.round((parseDay(to) - parseDay(from)) / 86400000); }

  /// The selected range: {from, to, interval, label}; both dates inclusive.
  function currentRange() {
    var today = todayUTC();
    switch (state.range) {
      case "today": return { from: today, to: today, interval: "hour", label: "today" };
      case "30d": return { from: addDays(today, -29), to: today, interval: "day", label: "the last 30 days" };
      case "custom":
        var single = state.from === state.to;
        return {
          from: state.from, to: state.to, interval: single ? "hour" : "day",
          label: single ? state.from : state.from + " to " + state.to,
        };
      default: return { from: addDays(today, -6), to: today, interval: "day", label: "the last 7 days" };
    }
  }

  /// The period of the same length just before `range`.
  function previousRange(range) {
    var length = daysBetween(range.from, range.to) + 1;
    var to = addDays(range.from, -1);
    return { from: addDays(to, -(length - 1)), to: to, length: length };
  }

  // MARK: - The fragment: key, range, filters

  function readFragment() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var key = params.get("key");
    if (key) {
      state.key = key.trim();
      try { localStorage.setItem(STORAGE_KEY, state.key); } catch (e) { /* private mode: keep it in memory */ }
    }
    var from = params.get("from"), to = params.get("to");
    if (parseDay(from) && parseDay(to) && from <= to) {
      state.range = "custom";
      state.from = from;
      state.to = to;
    } else if (["today", "7d", "30d"].indexOf(params.get("range")) >= 0) {
      state.range = params.get("range");
    }
    if (params.has("filters")) state.filters = parseFilters(params.get("filters"));
    writeFragment();
  }

  /// Writes range and filters to the fragment, never the key (so the address bar can be shared).
  function writeFragment() {
    var params = new URLSearchParams();
    if (state.range === "custom") { params.set("from", state.from); params.set("to", state.to); }
    else if (state.range !== "7d") params.set("range", state.range);
    if (state.filters.length) params.set("filters", filterText(state.filters));
    var text = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (text ? "#" + text : ""));
  }

  // MARK: - Filters, in Plausible v1 syntax: property==value;property==value, with \ before ; | and \

  function escapeValue(value) { return value.replace(/[\\;|]/g, function (c) { return "\\" + c; }); }

  function filterText(filters) {
    return filters.map(function (f) { return f.property + "==" + escapeValue(f.value); }).join(";");
  }

  function parseFilters(text) {
    var filters = [], part = "", parts = [];
    for (var i = 0; i < text.length; i++) {
      if (text[i] === "\\" && i + 1 < text.length) { part += text[i] + text[i + 1]; i++; }
      else if (text[i] === ";") { parts.push(part); part = ""; }
      else part += text[i];
    }
    if (part) parts.push(part);
    parts.forEach(function (p) {
      var at = p.indexOf("==");
      if (at <= 0 || !PROPERTY_NAMES[p.slice(0, at)]) return;
      filters.push({ property: p.slice(0, at), value: p.slice(at + 2).replace(/\\(.)/g, "$1") });
    });
    return filters;
  }

  function addFilter(property, value) {
    state.filters = state.filters.filter(function (f) { return f.property !== property; });
    state.filters.push({ property: property, value: value });
    writeFragment();
    load();
  }

  function removeFilter(property) {
    state.filters = state.filters.filter(function (f) { return f.property !== property; });
    writeFragment();
    load();
    var next = document.querySelector("#filters button") || $("range");
    next.focus();
  }

  function renderFilters() {
    var box = $("filters");
    clear(box);
    box.hidden = state.filters.length === 0;
    if (!state.filters.length) return;
    box.appendChild(element("span", { className: "muted", text: "Filtered by" }));
    state.filters.forEach(function (f) {
      var shown = displayValue(f.property, f.value);
      box.appendChild(element("button", {
        type: "button", className: "chip", "data-filter": f.property,
        "aria-label": "Remove the filter " + PROPERTY_NAMES[f.property] + " is " + shown,
        text: PROPERTY_NAMES[f.property] + " is " + shown + " ×",
      }));
    });
    Array.prototype.forEach.call(box.querySelectorAll("button"), function (button) {
      button.addEventListener("click", function () { removeFilter(button.getAttribute("data-filter")); });
    });
  }

  // MARK: - The API

  function ApiError(status, message, retryAfter) {
    this.status = status;
    this.message = message;
    this.retryAfter = retryAfter;
  }

  var queue = [], inFlight = 0;

  /// GET `path` with `params` and the read key; at most MAX_IN_FLIGHT at a time, to spare the query pool.
  function api(path, params) {
    return new Promise(function (resolve, reject) {
      queue.push({ path: path, params: params, resolve: resolve, reject: reject });
      pump();
    });
  }

  function pump() {
    while (inFlight < MAX_IN_FLIGHT && queue.length) {
      var job = queue.shift();
      inFlight++;
      send(job).then(job.resolve, job.reject).then(function () { inFlight--; pump(); });
    }
  }

  function send(job) {
    var query = job.params ? "?" + new URLSearchParams(job.params).toString() : "";
    return fetch(job.path + query, {
      headers: { Authorization: "Bearer " + state.key, Accept: "application/json" },
      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    }).then(function (response) {
      return response.text().then(function (body) {
        var json = null;
        try { json = JSON.parse(body); } catch (e) { json = null; }
        if (response.ok && json) return json;
        var message = body.trim() || response.statusText;
        if (json && typeof json.error === "string") message = json.error;
        else if (json && json.error && json.error.message) message = json.error.message;
        var retry = parseInt(response.headers.get("Retry-After") || "", 10);
        throw new ApiError(response.status, message, isNaN(retry) ? null : retry);
      });
    }, function (error) {
      throw new ApiError(0, "the Sluice server at " + location.host + " cannot be reached (" + error.message + ")");
    });
  }

  function statsParams(range, extra) {
    var params = { from: range.from, to: range.to };
    if (state.filters.length) params.filters = filterText(state.filters);
    for (var key in extra) params[key] = extra[key];
    return params;
  }

  // MARK: - Loading

  function showError(error) {
    var box = $("error");
    clear(box);
    box.hidden = false;
    var text;
    if (error.status === 401) {
      text = "The server did not accept this read key (401: " + error.message + "). Check that it is the project's "
        + "read key (rk_…, not the write key), or forget it and paste another.";
      $("key-section").hidden = false;
    } else if (error.status === 503) {
      var seconds = error.retryAfter || 5;
      text = "The statistics are unavailable for now (503: " + error.message + "); the database may be "
        + "unreachable. Trying again in " + seconds + " s.";
      clearTimeout(retryTimer);
      retryTimer = setTimeout(load, seconds * 1000);
    } else if (error.status === 0) {
      text = "No answer: " + error.message + ". Check that sluice serve is running.";
    } else {
      text = "The server answered " + error.status + ": " + error.message;
    }
    box.appendChild(element("p", { text: text }));
    if (error.status !== 401) {
      var again = element("button", { type: "button", text: "Try again" });
      again.addEventListener("click", load);
      box.appendChild(again);
    }
  }

  function load() {
    clearTimeout(retryTimer);
    var mine = ++generation;
    var range = currentRange();
    var previous = previousRange(range);
    var board = $("dashboard");
    board.hidden = false;
    board.setAttribute("data-from", range.from);
    board.setAttribute("data-to", range.to);
    board.setAttribute("data-filters", filterText(state.filters));
    $("key-section").hidden = true;
    $("forget").hidden = false;
    $("project").textContent = "Project of read key " + state.key.slice(0, 7) + "…";
    $("period").textContent = range.from === range.to ? range.from + " (UTC)" : range.from + " – " + range.to + " (UTC)";
    $("status").textContent = "Loading " + range.label + "…";
    setPageState("loading");
    renderFilters();
    breakdownCards();

    var metrics = TOP_METRICS.join(",");
    var work = [
      Promise.all([
        api("/v1/stats/aggregate", statsParams(range, { metrics: metrics })),
        api("/v1/stats/aggregate", statsParams(previous, { metrics: metrics })),
      ]).then(function (answers) {
        if (mine === generation) renderTop(answers[0].results, answers[1].results, previous.length);
      }),
      loadRealtime(mine),
      api("/v1/stats/timeseries", statsParams(range, { interval: range.interval, metrics: "visitors,visits,pageviews" }))
        .then(function (answer) { if (mine === generation) renderChart(answer.results, range); }),
    ].concat(BREAKDOWNS.map(function (b) {
      return api("/v1/stats/breakdown", statsParams(range, {
        property: b.property, metrics: b.metrics.join(","), limit: BREAKDOWN_LIMIT,
      })).then(function (answer) { if (mine === generation) renderBreakdown(b, answer.results); });
    }));
    work.push(loadExperiments(mine));

    Promise.all(work).then(function () {
      if (mine !== generation) return;
      $("error").hidden = true;
      $("status").textContent = "Showing " + range.label + (state.filters.length ? ", filtered" : "") + ".";
      renders++;
      document.documentElement.setAttribute("data-renders", String(renders));
      setPageState("ready");
    }, function (error) {
      if (mine !== generation) return;
      $("status").textContent = "";
      setPageState("error");
      showError(error instanceof ApiError ? error : new ApiError(-1, String(error)));
    });
  }

  function loadRealtime(mine) {
    return api("/v1/stats/realtime/visitors").then(function (answer) {
      if (mine !== generation) return;
      var node = document.querySelector('[data-metric="realtime_visitors"]');
      node.setAttribute("data-value", String(answer.visitors));
      node.textContent = numberFormat.format(answer.visitors);
    });
  }

  function refreshRealtime() {
    if (state.key && document.documentElement.getAttribute("data-state") === "ready") {
      loadRealtime(generation).catch(function () { /* the next full load reports it */ });
    }
  }

  // MARK: - Top numbers

  function formatMetric(metric, value) {
    if (metric === "bounce_rate" || metric === "conversion_rate") return numberFormat.format(value) + "%";
    if (metric === "visit_duration") return duration(value);
    return numberFormat.format(value);
  }

  function duration(seconds) {
    seconds = Math.round(seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    if (h) return h + "h " + two(m) + "m";
    if (m) return m + "m " + two(s) + "s";
    return s + "s";
  }

  function renderTop(current, previous, days) {
    var against = days === 1 ? "the day before" : "the previous " + days + " days";
    TOP_METRICS.forEach(function (metric) {
      var value = current[metric].value, before = previous[metric].value;
      var node = document.querySelector('[data-metric="' + metric + '"]');
      node.setAttribute("data-value", String(value));
      node.textContent = formatMetric(metric, value);
      var change = document.querySelector('[data-change="' + metric + '"]');
      change.setAttribute("data-previous", String(before));
      change.className = "change";
      var text;
      if (metric === "bounce_rate") {
        var points = Math.round(value - before);
        text = points === 0 ? "same as " + against : (points > 0 ? "↑ " : "↓ ") + Math.abs(points) + " pts vs " + against;
        if (points !== 0) change.classList.add(points > 0 ? "down" : "up");
      } else if (before === 0) {
        text = value === 0 ? "none in " + against + " either" : "new: none in " + against;
        if (value > 0) change.classList.add("up");
      } else {
        var percent = Math.round(((value - before) / before) * 100);
        text = percent === 0 ? "same as " + against : (percent > 0 ? "↑ " : "↓ ") + Math.abs(percent) + "% vs " + against;
        if (percent !== 0) change.classList.add(percent > 0 ? "up" : "down");
      }
      change.textContent = text;
      change.setAttribute("aria-label", text + " (" + formatMetric(metric, before) + " then)");
    });
  }

  // MARK: - The chart: inline SVG, with the same numbers as a table below it

  function niceMax(value) {
    if (value <= 4) return 4;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  function bucketLabel(date, interval) {
    if (interval === "hour") return date.slice(11, 16);
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    return months[parseInt(date.slice(5, 7), 10) - 1] + " " + parseInt(date.slice(8, 10), 10);
  }

  function renderChart(rows, range) {
    var width = 800, height = 260, left = 44, right = 28, top = 12, bottom = 28;
    var max = niceMax(Math.max.apply(null, rows.map(function (r) { return r.visitors; }).concat([0])));
    var plotW = width - left - right, plotH = height - top - bottom;
    var step = rows.length > 1 ? plotW / (rows.length - 1) : 0;
    function x(i) { return left + (rows.length > 1 ? i * step : plotW / 2); }
    function y(v) { return top + plotH - (v / max) * plotH; }

    var unit = range.interval === "hour" ? "hour" : "day";
    var peak = rows.reduce(function (best, r) { return r.visitors > best.visitors ? r : best; }, rows[0] || { visitors: 0 });
    var total = rows.reduce(function (sum, r) { return sum + r.pageviews; }, 0);
    var title = svg("title", { id: "chart-title", text: "Visitors per " + unit + ", " + range.label });
    var desc = svg("desc", {
      id: "chart-desc",
      text: rows.length + " " + unit + "s; the most visitors, " + peak.visitors + ", " + (peak.date ? "on " + peak.date : "")
        + "; " + total + " pageviews in all. The table below the chart has every value.",
    });
    var chart = svg("svg", {
      viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": "chart-title chart-desc",
    }, [title, desc]);

    for (var g = 0; g <= 4; g++) {
      var value = (max / 4) * g, gy = y(value);
      chart.appendChild(svg("line", { x1: left, x2: width - right, y1: gy, y2: gy, class: g ? "grid-line" : "axis" }));
      chart.appendChild(svg("text", {
        x: left - 6, y: gy + 4, "text-anchor": "end", class: "tick", text: numberFormat.format(value),
      }));
    }
    chart.appendChild(svg("line", { x1: left, x2: left, y1: top, y2: top + plotH, class: "axis" }));

    var every = Math.max(1, Math.ceil(rows.length / 8));
    rows.forEach(function (row, i) {
      if (i % every === 0) {
        var anchor = rows.length > 1 && i === rows.length - 1 ? "end" : i === 0 && rows.length > 1 ? "start" : "middle";
        chart.appendChild(svg("text", {
          x: x(i), y: height - 8, "text-anchor": anchor, class: "tick", text: bucketLabel(row.date, range.interval),
        }));
      }
    });
    if (rows.length) {
      var points = rows.map(function (r, i) { return x(i).toFixed(1) + "," + y(r.visitors).toFixed(1); });
      chart.appendChild(svg("polygon", {
        class: "area", points: left + "," + y(0) + " " + points.join(" ") + " " + x(rows.length - 1) + "," + y(0),
      }));
      chart.appendChild(svg("polyline", { class: "line", points: points.join(" ") }));
      if (rows.length <= 40) {
        rows.forEach(function (r, i) {
          chart.appendChild(svg("circle", { class: "dot", cx: x(i), cy: y(r.visitors), r: 3 }, [
            svg("title", { text: r.date + ": " + r.visitors + " visitors, " + r.pageviews + " pageviews" }),
          ]));
        });
      }
    }
    var box = $("chart");
    clear(box);
    box.appendChild(chart);

    var table = element("table", {}, [
      element("caption", { className: "hidden-heading", text: "Visitors, visits and pageviews per " + unit }),
      element("thead", {}, [element("tr", {}, [
        element("th", { scope: "col", text: unit === "hour" ? "Hour (UTC)" : "Day" }),
        element("th", { scope: "col", text: "Visitors" }), element("th", { scope: "col", text: "Visits" }),
        element("th", { scope: "col", text: "Pageviews" }),
      ])]),
      element("tbody", {}, rows.map(function (r) {
        return element("tr", {}, [
          element("th", { scope: "row", text: r.date }), element("td", { text: numberFormat.format(r.visitors) }),
          element("td", { text: numberFormat.format(r.visits) }), element("td", { text: numberFormat.format(r.pageviews) }),
        ]);
      })),
    ]);
    clear($("chart-table"));
    $("chart-table").appendChild(table);
  }

  // MARK: - Breakdowns: a table per property; a row's button filters the whole dashboard by its value

  function displayValue(property, value) {
    if (property === "country" && regionNames && /^[A-Z]{2}$/.test(value)) {
      try { return regionNames.of(value) + " (" + value + ")"; } catch (e) { return value; }
    }
    return value;
  }

  /// One card per breakdown, made once and in order, whichever answer arrives first.
  function breakdownCards() {
    BREAKDOWNS.forEach(function (b) {
      var id = "breakdown-" + b.property;
      if ($(id)) return;
      var card = element("section", { id: id, className: "card", "aria-labelledby": id + "-heading" }, [
        element("h2", { id: id + "-heading", text: b.title }), element("p", { className: "muted", text: "Loading…" }),
      ]);
      $("breakdowns").appendChild(card);
    });
  }

  function renderBreakdown(breakdown, rows) {
    var id = "breakdown-" + breakdown.property;
    var card = $(id);
    clear(card);
    card.appendChild(element("h2", { id: id + "-heading", text: breakdown.title }));
    var filtered = state.filters.some(function (f) { return f.property === breakdown.property; });
    if (!rows.length) {
      card.appendChild(element("p", { className: "muted", text: "Nothing in this range." }));
      return;
    }
    var max = Math.max.apply(null, rows.map(function (r) { return r.visitors; })) || 1;
    var table = element("table", { "aria-labelledby": id + "-heading", "data-property": breakdown.property }, [
      element("thead", {}, [element("tr", {}, [element("th", { scope: "col", text: breakdown.column })].concat(
        breakdown.metrics.map(function (m) { return element("th", { scope: "col", text: METRIC_NAMES[m] }); })
      ))]),
    ]);
    var body = element("tbody");
    rows.forEach(function (row) {
      var value = String(row[breakdown.property]);
      var shown = displayValue(breakdown.property, value);
      var button = element("button", {
        type: "button", "data-filter-value": value, title: shown,
        "aria-label": (filtered ? "" : "Filter by ") + breakdown.column + ": " + shown, text: shown,
      });
      if (filtered) button.disabled = true;
      button.addEventListener("click", function () { addFilter(breakdown.property, value); });
      var fill = element("span", { className: "fill", "aria-hidden": "true" });
      fill.style.setProperty("--share", ((row.visitors / max) * 100).toFixed(1) + "%");
      body.appendChild(element("tr", {}, [element("td", { className: "name" }, [fill, button])].concat(
        breakdown.metrics.map(function (m) { return element("td", { text: formatMetric(m, row[m]) }); })
      )));
    });
    table.appendChild(body);
    card.appendChild(table);
  }

  // MARK: - Experiments

  function loadExperiments(mine) {
    var box = $("experiments");
    return api("/v1/experiments").then(function (answer) {
      var keys = answer.experiments.map(function (e) { return e.key; });
      return Promise.all(keys.map(function (key) {
        return api("/v1/experiments/" + encodeURIComponent(key) + "/results").then(
          function (report) { return { key: key, report: report }; },
          function (error) { return { key: key, error: error }; }
        );
      }));
    }).then(function (reports) {
      if (mine !== generation) return;
      clear(box);
      if (!reports.length) {
        box.appendChild(element("p", {
          className: "muted", text: "This project has no experiments (sluice experiments create adds one).",
        }));
      }
      reports.forEach(function (entry) { box.appendChild(renderExperiment(entry)); });
    }, function (error) {
      if (mine !== generation) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 503)) throw error;
      clear(box);
      box.appendChild(element("p", { className: "muted", text: "The experiments could not be read: " + error.message }));
    });
  }

  function percent(value, digits) { return (value * 100).toFixed(digits) + "%"; }
  function signedPercent(value) { return (value > 0 ? "+" : value < 0 ? "−" : "") + percent(Math.abs(value), 1); }
  function pValue(value) { return value < 0.0001 ? "< 0.0001" : value.toPrecision(3); }

  function renderExperiment(entry) {
    var section = element("section", { className: "experiment", "data-experiment": entry.key });
    if (entry.error) {
      section.appendChild(element("h3", {}, [element("code", { text: entry.key })]));
      section.appendChild(element("p", { className: "muted", text: "No results: " + entry.error.message }));
      return section;
    }
    var report = entry.report;
    section.appendChild(element("h3", {}, [
      element("code", { text: report.experiment }),
      " · " + report.status + (report.goalEvent ? " · goal: " + report.goalEvent : " · no goal event"),
    ]));
    if (report.srm && report.srm.mismatch) {
      section.appendChild(element("div", { className: "srm", role: "alert", "data-srm": "mismatch" }, [
        "⚠ Sample ratio mismatch: the users per variation do not fit the weights (p = " + pValue(report.srm.pValue)
          + " < " + report.srm.threshold + "). The assignment or the data is broken; do not trust these results "
          + "until that is explained.",
      ]));
    }
    (report.warnings || []).forEach(function (warning) {
      if (!/^sample ratio mismatch/.test(warning)) section.appendChild(element("p", { className: "note", text: warning }));
    });
    var head = ["Variation", "Users", "Conversions", "Rate", "Uplift (95% interval)", "p-value"];
    var table = element("table", {}, [
      element("thead", {}, [element("tr", {}, head.map(function (h) { return element("th", { scope: "col", text: h }); }))]),
    ]);
    var body = element("tbody");
    report.variations.forEach(function (v) {
      var name = typeof v.value === "string" ? v.value : JSON.stringify(v.value);
      var uplift, p;
      if (v.variant === 0) { uplift = "control"; p = "–"; }
      else if (v.error) { uplift = "cannot test: " + v.error; p = "–"; }
      else {
        uplift = signedPercent(v.uplift) + " [" + signedPercent(v.ci[0]) + ", " + signedPercent(v.ci[1]) + "]";
        p = pValue(v.pValue) + (v.pValue < 0.05 ? " (significant)" : "");
      }
      var exact = { "data-variant": String(v.variant), "data-users": String(v.users), "data-converters": String(v.converters) };
      if (v.variant !== 0 && !v.error) { exact["data-uplift"] = String(v.uplift); exact["data-p-value"] = String(v.pValue); }
      body.appendChild(element("tr", exact, [
        element("th", { scope: "row", text: v.variant + ": " + name }), element("td", { text: numberFormat.format(v.users) }),
        element("td", { text: numberFormat.format(v.converters) }), element("td", { text: percent(v.conversionRate, 2) }),
        element("td", { text: uplift }), element("td", { text: p }),
      ]));
    });
    table.appendChild(body);
    section.appendChild(element("div", { className: "scroll" }, [table]));
    return section;
  }

  // MARK: - Start

  function showKeyForm() {
    $("dashboard").hidden = true;
    $("forget").hidden = true;
    $("project").textContent = "";
    $("status").textContent = "";
    $("key-section").hidden = false;
    setPageState("key");
    $("key-input").focus();
  }

  function start() {
    readFragment();
    if (!state.key) {
      try { state.key = localStorage.getItem(STORAGE_KEY); } catch (e) { state.key = null; }
    }
    $("range").value = state.range;
    $("custom").hidden = state.range !== "custom";
    if (state.range === "custom") { $("from").value = state.from; $("to").value = state.to; }

    $("key-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = $("key-input").value.trim();
      if (!key) return;
      state.key = key;
      $("key-input").value = "";
      try { localStorage.setItem(STORAGE_KEY, key); } catch (e) { /* kept in memory */ }
      $("error").hidden = true;
      load();
    });
    $("forget").addEventListener("click", function () {
      try { localStorage.removeItem(STORAGE_KEY); } catch (e) { /* nothing kept */ }
      state.key = null;
      generation++;
      $("error").hidden = true;
      showKeyForm();
    });
    $("range").addEventListener("change", function () {
      var choice = $("range").value;
      $("custom").hidden = choice !== "custom";
      if (choice === "custom") {
        var shown = currentRange();
        $("from").value = shown.from;
        $("to").value = shown.to;
        $("from").focus();
        return;
      }
      state.range = choice;
      writeFragment();
      load();
    });
    $("range-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var from = $("from").value, to = $("to").value;
      if (!parseDay(from) || !parseDay(to) || from > to) {
        $("status").textContent = "Choose a start date on or before the end date.";
        return;
      }
      state.range = "custom";
      state.from = from;
      state.to = to;
      writeFragment();
      load();
    });
    window.addEventListener("hashchange", function () {
      var hadKey = state.key;
      readFragment();
      if (state.key && state.key !== hadKey) $("error").hidden = true;
      if (state.key) load();
    });
    realtimeTimer = setInterval(refreshRealtime, REALTIME_REFRESH_MS);

    if (state.key) load();
    else showKeyForm();
  }

  start();
})();
