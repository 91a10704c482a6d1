// The viewer of spectra_sklearn reports. One script for both pages: a report
// file (data embedded as JSON in #report-data) and the lookup server (data
// fetched from its /api routes). Objects are drawn only when shown.
"use strict";
(function () {
  const MODE = document.body.dataset.mode;
  const $ = (id) => document.getElementById(id);
  const SDSS = /^\s*(\d{1,6})(?:\s*[-/,: ]\s*(\d{1,6}))?(?:\s*[-/,: ]\s*(\d{1,5}))?\s*$/;
  const ID_LABELS = {
    name: "file", sdss_id: "PLATE-MJD-FIBERID", source_key: "SpeX SOURCE_KEY",
    data_key: "SpeX DATA_KEY", designation: "designation", number: "number",
    object_name: "name", miles_id: "MILES id", object_id: "id", path: "path",
  };
  const LIMIT = 50;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "style") node.style.cssText = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const fmt = (p) => (p === null || p === undefined ? "—" : Number(p).toFixed(3));

  // [lo, hi, base64 int16] -> array of numbers (null where missing)
  function decode(a) {
    if (!a) return null;
    const [lo, hi, text] = a;
    const bin = atob(text);
    const out = new Array(bin.length / 2);
    const scale = (hi - lo) / 65534;
    for (let i = 0; i < out.length; i++) {
      let v = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
      if (v >= 32768) v -= 65536;
      out[i] = v === -32768 ? null : lo + (v + 32767) * scale;
    }
    return out;
  }

  function brief(key, ids, yTrue, yPred, pMax) {
    return { key: key, name: ids.name || ids.object_id || String(key), ids: ids,
             y_true: yTrue, y_pred: yPred, p_max: pMax };
  }

  // ---- the data of a report file -------------------------------------------
  function embeddedSource() {
    const D = JSON.parse($("report-data").textContent);
    const O = D.objects;
    const n = O.ids.length;
    for (const ids of O.ids) {  // paths were sent as folder index + file name
      if (ids.dir !== undefined) {
        ids.path = D.folders[ids.dir] + "/" + (ids.file || ids.name);
        delete ids.dir;
        delete ids.file;
      }
    }
    const exact = new Map();
    const all = [];
    for (let i = 0; i < n; i++) {
      for (const [k, v] of Object.entries(O.ids[i])) {
        if (k === "plate" || k === "mjd" || k === "fiberid") continue;
        const low = v.toLowerCase();
        if (!exact.has(low)) exact.set(low, []);
        exact.get(low).push(i);
        all.push([low, i, v]);
      }
    }
    const sorted = all.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const pMax = (i) => (O.proba[i] ? Math.max(...O.proba[i]) : null);
    const briefOf = (i) => brief(i, O.ids[i], O.y_true[i], O.y_pred[i], pMax(i));
    const sdssMatch = (i, p, m, f) => {
      const ids = O.ids[i];
      return ids.plate !== undefined && (p === null || +ids.plate === p) &&
        (m === null || +ids.mjd === m) && (f === null || +ids.fiberid === f);
    };
    function closest(q) {
      let lo = 0, hi = sorted.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid][0] < q) lo = mid + 1; else hi = mid; }
      const out = [];
      for (let j = Math.max(0, lo - 3); j < Math.min(sorted.length, lo + 3); j++) {
        if (!out.includes(sorted[j][2])) out.push(sorted[j][2]);
      }
      return out;
    }
    function search(q, fields) {
      const found = new Set();
      let isExact = false;
      const low = q.trim().toLowerCase();
      const num = (s) => (s === undefined || s === null || s === "" ? null : parseInt(s, 10));
      const [p, m, f] = [num(fields.plate), num(fields.mjd), num(fields.fiberid)];
      if (p !== null || m !== null || f !== null) {
        for (let i = 0; i < n && found.size < LIMIT; i++) if (sdssMatch(i, p, m, f)) found.add(i);
        isExact = p !== null && m !== null && f !== null;
      }
      if (low) {
        (exact.get(low) || []).forEach((i) => found.add(i));
        const g = SDSS.exec(low);
        if (g && g[2]) {
          for (let i = 0; i < n && found.size < LIMIT; i++) {
            if (sdssMatch(i, +g[1], +g[2], g[3] ? +g[3] : null)) found.add(i);
          }
          if (g[3]) isExact = isExact || found.size > 0;
        }
        isExact = isExact || exact.has(low);
        if (!isExact) {
          for (const [v, i] of all) { if (found.size >= LIMIT) break; if (v.startsWith(low)) found.add(i); }
          for (const [v, i] of all) { if (found.size >= LIMIT) break; if (v.includes(low)) found.add(i); }
        }
      }
      const matches = Array.from(found).map(briefOf);
      return Promise.resolve({ matches: matches, exact: isExact,
                               closest: matches.length ? [] : closest(low) });
    }
    function object(i) {
      i = +i;
      const asDict = (p) => (p ? Object.fromEntries(D.classes.map((c, k) => [c, p[k]])) : null);
      const branches = {};
      for (const [b, values] of Object.entries(O.branches)) if (values[i]) branches[b] = asDict(values[i]);
      return Promise.resolve({
        key: i, ids: O.ids[i], y_true: O.y_true[i], y_pred: O.y_pred[i],
        proba: asDict(O.proba[i]), branches: branches, status: O.status[i], error: O.error[i],
        spectrum: D.spectra[i], spectrum_error: null,
        saliency: D.saliency ? { values: D.saliency[i], grid: D.saliency_grid } : null,
      });
    }
    function cell(t, p) {
      const rows = [];
      for (let i = 0; i < n; i++) if (O.y_true[i] === t && O.y_pred[i] === p) rows.push(i);
      rows.sort((a, b) => (pMax(b) || 0) - (pMax(a) || 0));
      return Promise.resolve({ total: rows.length, matches: rows.slice(0, 500).map(briefOf) });
    }
    const summary = Object.assign({}, D.summary, {
      misclassified: D.summary.misclassified.map(briefOf), n_objects: n,
      n_errors: O.status.filter((s) => s !== "ok").length,
    });
    return { classes: D.classes, summary: () => Promise.resolve(summary), search, object, cell };
  }

  // ---- the lookup server ----------------------------------------------------
  function serverSource() {
    const get = (path, params) => {
      const url = path + (params ? "?" + new URLSearchParams(params).toString() : "");
      return fetch(url).then((r) => r.json().then((body) => {
        if (!r.ok && !body.not_found) throw new Error(body.error || r.statusText);
        return body;
      }));
    };
    return {
      summary: () => get("api/summary"),
      search: (q, fields) => get("api/search", Object.assign({ q: q }, fields)),
      object: (key) => get("api/object/" + encodeURIComponent(key)),
      cell: (t, p) => get("api/cell", { "true": t, pred: p }),
    };
  }

  // plotly.js is evaluated after this script (the page is usable before it is parsed)
  const plotlyReady = new Promise((resolve) => {
    if (window.Plotly) resolve();
    else window.addEventListener("load", () => resolve());
  });
  const source = MODE === "server" ? serverSource() : embeddedSource();

  // ---- lists ----------------------------------------------------------------
  function listTable(table, rows) {
    table.replaceChildren(el("tr", {}, el("th", {}, "object"), el("th", {}, "true"),
                                 el("th", {}, "predicted"), el("th", {}, "p")));
    for (const r of rows) {
      const tr = el("tr", { class: "obj", "data-key": r.key }, el("td", {}, r.name),
                    el("td", {}, r.y_true ?? "—"), el("td", {}, r.y_pred ?? "—"),
                    el("td", {}, fmt(r.p_max)));
      tr.addEventListener("click", () => show(r.key));
      table.append(tr);
    }
  }

  function showCandidates(rows) {
    const ul = $("candidates");
    ul.replaceChildren();
    for (const r of rows) {
      const label = Object.entries(r.ids).filter(([k]) => k in ID_LABELS && k !== "path")
        .map(([k, v]) => ID_LABELS[k] + " " + v).join(" · ");
      const li = el("li", { "data-key": r.key }, label + "  (true " + (r.y_true ?? "—") +
                    ", predicted " + (r.y_pred ?? "—") + ")");
      li.addEventListener("click", () => show(r.key));
      ul.append(li);
    }
  }

  // ---- one object -----------------------------------------------------------
  function spectrumTraces(obj) {
    const s = obj.spectrum;
    const w = decode(s.w), f = decode(s.f), e = decode(s.e);
    const traces = [];
    if (e) {
      // the ±1σ band: one closed polygon per run of bins that have an uncertainty
      const bx = [], by = [];
      let i = 0;
      while (i < f.length) {
        if (f[i] === null || e[i] === null || w[i] === null) { i++; continue; }
        let j = i;
        while (j < f.length && f[j] !== null && e[j] !== null && w[j] !== null) j++;
        for (let k = i; k < j; k++) { bx.push(w[k]); by.push(f[k] + e[k]); }
        for (let k = j - 1; k >= i; k--) { bx.push(w[k]); by.push(f[k] - e[k]); }
        bx.push(null); by.push(null);
        i = j;
      }
      traces.push({ x: bx, y: by, mode: "lines", line: { width: 0 }, fill: "toself",
                    fillcolor: "rgba(74,123,208,0.25)", name: "±1σ (1/√ivar)", hoverinfo: "skip" });
    }
    traces.push({ x: w, y: f, mode: "lines", line: { color: "#1f3f8f", width: 1.2 }, name: "flux" });
    const mx = [], my = [];
    for (let k = 0; k < s.m.length; k += 2) {
      for (let i = s.m[k]; i < s.m[k + 1]; i++) { mx.push(w[i]); my.push(f[i]); }
    }
    if (mx.length) {
      traces.push({ x: mx, y: my, mode: "markers", marker: { color: "#d62728", size: 4 },
                    name: "masked pixels" });
    }
    const sal = obj.saliency;
    if (sal && sal.values && sal.grid) {
      const grid = sal.grid[s.wu] || (Object.keys(sal.grid).length === 1 && !s.wu ? Object.values(sal.grid)[0] : null);
      if (grid) {
        const bytes = atob(sal.values);
        const y = Array.from(bytes, (ch) => ch.charCodeAt(0) / 255);
        traces.push({ x: decode(grid), y: y, yaxis: "y2", mode: "lines",
                      fill: "tozeroy", line: { color: "rgba(255,127,14,0.8)", width: 0.8 },
                      fillcolor: "rgba(255,127,14,0.2)", name: "saliency |∂logit/∂flux|" });
      }
    }
    return traces;
  }

  function render(obj) {
    $("object").hidden = false;
    $("message").textContent = "";
    const failed = obj.status !== "ok";
    $("pred").textContent = failed ? "—" : (obj.y_pred ?? "—");
    const p = obj.proba && obj.y_pred !== null ? obj.proba[obj.y_pred] : null;
    $("pred-p").textContent = p === null || p === undefined ? "" : "(p = " + fmt(p) + ")";
    $("true").textContent = obj.y_true ?? "unknown";
    const verdict = $("verdict");
    if (obj.y_true !== null && obj.y_true !== undefined && !failed) {
      const ok = obj.y_true === obj.y_pred;
      verdict.textContent = ok ? "✓ correct" : "✗ misclassified";
      verdict.className = ok ? "ok" : "bad";
    } else { verdict.textContent = ""; verdict.className = ""; }
    const status = [];
    if (failed) status.push("could not be read: " + (obj.error || "unknown error"));
    if (obj.spectrum_error) status.push(obj.spectrum_error);
    $("status").textContent = status.join("; ");
    $("status").className = status.length ? "bad" : "";
    $("ids").replaceChildren(...Object.entries(obj.ids).filter(([k]) => k in ID_LABELS)
      .map(([k, v]) => el("tr", {}, el("td", {}, ID_LABELS[k]), el("td", {}, v))));
    const proba = $("proba");
    proba.replaceChildren();
    if (obj.proba) {
      for (const [c, v] of Object.entries(obj.proba)) {
        proba.append(el("tr", { class: c === obj.y_pred ? "predicted" : "", "data-class": c },
          el("td", {}, c), el("td", {}, el("span", { class: "bar", style: "width:" + Math.round(v * 120) + "px" })),
          el("td", {}, fmt(v))));
      }
    } else {
      proba.append(el("tr", {}, el("td", {}, failed ? "no prediction" : "the model gives no probabilities")));
    }
    const branches = Object.entries(obj.branches || {});
    $("branches-box").hidden = branches.length === 0;
    if (branches.length) {
      const classes = Object.keys(branches[0][1]);
      const head = el("tr", {}, el("th", {}, "branch"), el("th", {}, "predicted"), ...classes.map((c) => el("th", {}, c)));
      $("branches").replaceChildren(head, ...branches.map(([b, pr]) => {
        const best = classes.reduce((a, c) => (pr[c] > pr[a] ? c : a), classes[0]);
        return el("tr", { "data-branch": b }, el("td", {}, b), el("td", {}, el("b", {}, best)),
                  ...classes.map((c) => el("td", {}, fmt(pr[c]))));
      }));
    }
    const plot = $("spectrum-plot");
    if (obj.spectrum) {
      plot.hidden = false;
      const s = obj.spectrum;
      const layout = {
        margin: { l: 85, r: 40, t: 30, b: 90 }, legend: { orientation: "h", y: -0.22 },
        xaxis: { title: { text: "wavelength" + (s.wu ? " [" + s.wu + "]" : " [pixel]") } },
        yaxis: { title: { text: "flux" + (s.fu ? " [" + s.fu + "]" : " (arbitrary units)") },
                 exponentformat: "power" },
        yaxis2: { overlaying: "y", side: "right", range: [0, 4], showgrid: false,
                  showticklabels: false, title: { text: "saliency" } },
        title: { text: (obj.ids.name || "") + (s.n < s.n_pixels ? "  (" + s.n_pixels + " pixels shown as " + s.n + " bins)" : ""),
                 font: { size: 12 } },
      };
      return plotlyReady.then(() => Plotly.react(plot, spectrumTraces(obj), layout,
                                                 { responsive: true, displaylogo: false }));
    }
    plot.hidden = true;
    return plotlyReady.then(() => Plotly.purge(plot));
  }

  function show(key) {
    return source.object(key).then(render).catch((err) => { $("message").textContent = String(err); });
  }

  // ---- the summary ----------------------------------------------------------
  function renderSummary(S) {
    $("counts").textContent = "(" + S.n_objects + " objects, " + S.n + " with a true label" +
      (S.n_errors ? ", " + S.n_errors + " unreadable" : "") + ")";
    $("accuracy").textContent = S.accuracy === null ? "— (no true labels)" : fmt(S.accuracy);
    $("per-class").replaceChildren(
      el("tr", {}, ...["class", "precision", "recall", "F1", "support"].map((h) => el("th", {}, h))),
      ...S.per_class.map((r) => el("tr", {}, el("td", {}, r["class"]), el("td", {}, fmt(r.precision)),
                                   el("td", {}, fmt(r.recall)), el("td", {}, fmt(r.f1)), el("td", {}, r.support))));
    const cm = $("confusion");
    cm.replaceChildren(el("tr", {}, el("th", {}, "true \\ predicted"), ...S.classes.map((c) => el("th", {}, c))));
    S.confusion.forEach((row, i) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      cm.append(el("tr", {}, el("th", {}, S.classes[i]), ...row.map((k, j) => {
        const shade = Math.round(255 - 180 * (k / total));
        const td = el("td", { class: "cm-cell", "data-true": S.classes[i], "data-pred": S.classes[j],
                              style: "background: rgb(" + shade + "," + shade + ",255)" }, k);
        td.addEventListener("click", () => showCell(S.classes[i], S.classes[j]));
        return td;
      })));
    });
    listTable($("misclassified"), S.misclassified.slice(0, 200));
    const R = S.reliability || [];
    if (R.length) {
      return plotlyReady.then(() => Plotly.react("reliability-plot", [
        { x: [0, 1], y: [0, 1], mode: "lines", line: { dash: "dot", color: "#999" }, name: "perfectly calibrated" },
        { x: R.map((r) => r.confidence), y: R.map((r) => r.accuracy), mode: "lines+markers",
          text: R.map((r) => r.count + " objects"), marker: { size: R.map((r) => 6 + 10 * Math.sqrt(r.count / Math.max(...R.map((q) => q.count)))) },
          name: "model" },
      ], { margin: { l: 50, r: 10, t: 10, b: 45 }, showlegend: false,
           xaxis: { title: { text: "highest class probability" }, range: [0, 1.02] },
           yaxis: { title: { text: "fraction correct" }, range: [0, 1.02] } },
      { displaylogo: false }));
    }
    $("reliability-plot").textContent = "no probabilities with true labels";
    return null;
  }

  function showCell(t, p) {
    return source.cell(t, p).then((res) => {
      $("cell-box").hidden = false;
      $("cell-title").textContent = "true " + t + ", predicted " + p + ": " + res.total + " objects" +
        (res.total > res.matches.length ? " (first " + res.matches.length + ")" : "");
      listTable($("cell-objects"), res.matches);
    });
  }

  // ---- search ---------------------------------------------------------------
  function find() {
    const q = $("q").value;
    const fields = {};
    for (const k of ["plate", "mjd", "fiberid"]) if ($(k).value.trim()) fields[k] = $(k).value.trim();
    if (!q.trim() && !Object.keys(fields).length) return Promise.resolve();
    return source.search(q, fields).then((res) => {
      $("message").textContent = "";
      $("candidates").replaceChildren();
      if (!res.matches.length) {
        $("message").textContent = "not found: " + (q.trim() || JSON.stringify(fields)) +
          (res.closest && res.closest.length ? " — closest ids: " + res.closest.join(", ") : "");
        return;
      }
      if (res.exact && res.matches.length === 1) return show(res.matches[0].key);
      $("message").textContent = res.matches.length + (res.matches.length >= LIMIT ? "+" : "") +
        " candidates";
      showCandidates(res.matches);
      if (res.exact) return show(res.matches[0].key);
    }).catch((err) => { $("message").textContent = String(err); });
  }

  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); find(); });
  $("show-summary").addEventListener("click", (ev) => { ev.preventDefault(); $("summary").scrollIntoView(); });
  source.summary().then((S) => {
    const plotted = renderSummary(S);
    window.reportInteractive = performance.now();
    const hash = new URLSearchParams(location.hash.slice(1));
    const found = hash.get("id") ? ($("q").value = hash.get("id"), find()) : null;
    return Promise.all([plotted, found]);
  }).then(() => {
    window.reportReady = performance.now();
    document.body.dataset.ready = "1";
  }).catch((err) => { $("message").textContent = String(err); });
})();
