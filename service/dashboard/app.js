// regulab's dashboard: a small single-page app over the /v1 API, served by the API itself
// (no build step, no CDN). Views by URL hash: #/jobs, #/jobs/<id>, #/new, #/datasets,
// #/sweeps/<id>, #/comparisons/<id>, #/models, #/models/<name>.
// Live updates poll the API while a view is open; the new-job form is built from the
// server's OpenAPI document, so it offers every model and regularizer kind it accepts.

const view = document.getElementById("view");
const KEY = "regulab.apiKey";
let stopView = () => {};

// -- the API ---------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = sessionStorage.getItem(KEY);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    await askForKey(key ? "That key was refused." : "");
    return api(path, options);
  }
  return response;
}

async function json(path, options) {
  const response = await api(path, options);
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw Object.assign(new Error(message(body)), { status: response.status, body });
  return body;
}

function message(body) {
  if (!body || body.detail === undefined) return "request failed";
  if (typeof body.detail === "string") return body.detail;
  return body.detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ");
}

function askForKey(problem) {
  const dialog = document.getElementById("key-dialog");
  document.getElementById("key-error").textContent = problem;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      sessionStorage.setItem(KEY, document.getElementById("key-input").value.trim());
      resolve();
    }, { once: true });
    if (!dialog.open) dialog.showModal();
    document.getElementById("key-input").focus();
  });
}

// -- small helpers ---------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function every(ms, fn) {
  let alive = true;
  const loop = async () => {
    while (alive) {
      try { if ((await fn()) === false) return; } catch (error) { console.error(error); }
      await new Promise((r) => setTimeout(r, ms));
    }
  };
  loop();
  return () => { alive = false; };
}

const num = (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(4));
const FINISHED = ["succeeded", "failed", "cancelled"];

async function blobUrl(url) {
  // Figures and files come with the bearer key, which an <img src> cannot send. A figure
  // not drawn yet answers 202: ask again after its Retry-After.
  for (let tries = 0; tries < 120; tries++) {
    const response = await api(url);
    if (response.status === 202) {
      await new Promise((r) => setTimeout(r, 1000 * Number(response.headers.get("Retry-After") || 1)));
      continue;
    }
    if (!response.ok) throw new Error(message(await response.json()));
    return URL.createObjectURL(await response.blob());
  }
  throw new Error(`${url} was not ready`);
}

// -- jobs list -------------------------------------------------------------------------

function jobsView() {
  const status = h("select", { id: "status-filter", "aria-label": "Status" },
    ["", "queued", "running", "succeeded", "failed", "cancelled"].map((s) => h("option", { value: s }, s || "any status")));
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Older jobs");
  let cursors = [""];
  const load = async () => {
    const query = new URLSearchParams({ limit: "20" });
    if (status.value) query.set("status", status.value);
    const cursor = cursors[cursors.length - 1];
    if (cursor) query.set("cursor", cursor);
    const page = await json(`/v1/jobs?${query}`);
    body.replaceChildren(...page.items.map((job) => h("tr", { "data-job": job.id },
      h("td", {}, h("a", { href: `#/jobs/${job.id}` }, job.id.slice(0, 8))),
      h("td", { class: `status ${job.status}` }, job.status),
      h("td", {}, job.spec.model.kind),
      h("td", {}, job.spec.regularizers.map((r) => r.kind).join(", ") || "none"),
      h("td", {}, job.spec.dataset.name || job.spec.dataset.id),
      h("td", {}, new Date(job.created_at).toLocaleString()))));
    more.hidden = !page.next_cursor;
    more.onclick = () => { cursors.push(page.next_cursor); load(); };
  };
  status.addEventListener("change", () => { cursors = [""]; load(); });
  view.replaceChildren(h("h1", {}, "Jobs"), h("p", {}, status, " ", h("a", { href: "#/new" }, "New job")),
    h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {},
      ["job", "status", "model", "regularizers", "dataset", "created"].map((c) => h("th", { scope: "col" }, c)))), body)),
    more);
  return every(2000, load);
}

// -- one job ---------------------------------------------------------------------------

function jobView(id) {
  const head = h("div");
  const live = h("div");
  const detail = h("div");
  const curve = h("div", { id: "learning-curve" });
  view.replaceChildren(h("h1", {}, `Job ${id.slice(0, 8)}`), head, live, curve, detail);
  let plot = null;
  let shown = null;
  return every(1000, async () => {
    const job = await json(`/v1/jobs/${id}`);
    head.replaceChildren(...[
      h("p", {}, "Status: ", h("span", { id: "job-status", class: `status ${job.status}` }, job.status),
        job.progress ? ` — ${job.progress.stage} (${job.progress.step}/${job.progress.total ?? "?"})` : ""),
      job.error ? h("p", { class: "error", role: "alert" }, `${job.error.code}: ${job.error.message}`) : null,
      actions(job)].filter(Boolean));
    const history = await json(`/v1/jobs/${id}/history`);
    plot = learningCurve(curve, history.items, plot);
    if (job.status === "succeeded" && shown !== "result") {
      shown = "result";
      renderResult(detail, job, await json(`/v1/jobs/${id}/result`));
    } else if (shown === null) {
      shown = "spec";
      detail.replaceChildren(h("h2", {}, "Spec"), h("pre", {}, JSON.stringify(job.spec, null, 2)));
    }
    return !FINISHED.includes(job.status) || shown !== "result" && job.status === "succeeded";
  });
}

const LINEAR = ["linear_regression", "logistic_regression", "poisson_regression"];
const PENALTIES = ["l1", "l2", "elastic_net"];

function sweepOf(spec) {
  // The job's own penalty over a grid of strengths, 5-fold: the validation curve.
  const { figures, ...base } = spec;
  return { base, grid: { alpha: { logspace: [-3, 1, 20] } }, cv: { folds: 5 } };
}

function comparisonOf(spec) {
  // No penalty, L1 and L2 at the job's strength, on the same folds.
  const { figures, ...base } = spec;
  const alpha = (spec.regularizers.find((r) => PENALTIES.includes(r.kind)) || { alpha: 1 }).alpha || 1;
  return {
    base: { ...base, regularizers: [] },
    configurations: [
      { name: "none", regularizers: [] },
      { name: "lasso", regularizers: [{ kind: "l1", alpha }] },
      { name: "ridge", regularizers: [{ kind: "l2", alpha }] },
    ],
    cv: { folds: 5 },
  };
}

function actions(job) {
  const act = (label, run) => h("button", { type: "button", onclick: async () => {
    try { await run(); } catch (error) { alert(error.message); }
  } }, label);
  const linear = LINEAR.includes(job.spec.model.kind);
  const penalized = job.spec.regularizers.some((r) => PENALTIES.includes(r.kind));
  const start = (collection, body) => async () => {
    const made = await json(`/v1/${collection}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    location.hash = `#/${collection}/${made.id}`;
  };
  return h("p", {},
    job.status === "succeeded" && linear && penalized ? act("Sweep alpha", start("sweeps", sweepOf(job.spec))) : null,
    job.status === "succeeded" && linear ? act("Compare no penalty, L1, L2", start("comparisons", comparisonOf(job.spec))) : null,
    FINISHED.includes(job.status) ? null : act("Cancel", () => json(`/v1/jobs/${job.id}/cancel`, { method: "POST" })),
    ["failed", "cancelled"].includes(job.status) ? act("Retry", async () => {
      const again = await json(`/v1/jobs/${job.id}/retry`, { method: "POST" });
      location.hash = `#/jobs/${again.id}`;
    }) : null,
    FINISHED.includes(job.status) ? act("Delete", async () => {
      if (!confirm(`Delete job ${job.id}?`)) return;
      await json(`/v1/jobs/${job.id}`, { method: "DELETE" });
      location.hash = "#/jobs";
    }) : null);
}

function learningCurve(node, rows, plot) {
  const epochs = rows.filter((r) => r.kind === "epoch");
  if (!epochs.length) return plot;
  const x = epochs.map((r) => r.data.epoch);
  const series = ["train_loss", "val_loss"].filter((k) => epochs.some((r) => r.data[k] !== undefined && r.data[k] !== null));
  const data = [x, ...series.map((k) => epochs.map((r) => r.data[k] ?? null))];
  node.dataset.points = String(x.length);
  if (plot) { plot.setData(data); return plot; }
  node.prepend(h("h2", {}, "Learning curve"));
  const colours = ["#1f6feb", "#b42318"];
  return new uPlot({
    width: Math.min(720, node.clientWidth || 720), height: 260,
    scales: { x: { time: false } },
    series: [{ label: "epoch" }, ...series.map((k, i) => ({ label: k, stroke: colours[i], width: 2 }))],
  }, data, node);
}

function renderResult(node, job, result) {
  const fits = [["regularized", result.metrics]];
  if (result.baseline) fits.push(["baseline", result.baseline.metrics]);
  const keys = [...new Set(fits.flatMap(([, m]) => ["train", "test"].flatMap((s) => Object.keys(m[s] || {}))))];
  const metrics = h("table", { id: "metrics" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "metric"),
      fits.flatMap(([name]) => ["train", "test"].map((s) => h("th", { scope: "col" }, `${name} ${s}`))))),
    h("tbody", {}, keys.map((k) => h("tr", {}, h("th", { scope: "row" }, k),
      fits.flatMap(([, m]) => ["train", "test"].map((s) => h("td", { class: "num" }, num(m[s] && m[s][k]))))))));
  const parts = [h("h2", {}, result.estimator), h("div", { class: "scroll" }, metrics)];
  if (result.coefficients) parts.push(coefficientTable(result));
  const files = h("ul");
  for (const artifact of result.artifacts) {
    if (artifact.media_type !== "image/png") {
      files.append(h("li", {}, h("a", { href: "#", onclick: async (event) => {
        event.preventDefault();
        const link = h("a", { href: await blobUrl(artifact.url), download: artifact.name });
        link.click();
      } }, `Download ${artifact.name}`)));
    }
  }
  parts.push(...figuresOf(result.artifacts), h("h2", {}, "Files"), files,
    h("h2", {}, "Spec"), h("pre", {}, JSON.stringify(job.spec, null, 2)));
  node.replaceChildren(...parts);
}

function coefficientTable(result) {
  const flat = (c) => (Array.isArray(c.coef[0]) ? c.coef[0] : c.coef);
  const coef = flat(result.coefficients);
  const base = result.baseline && result.baseline.coefficients ? flat(result.baseline.coefficients) : null;
  return h("div", { class: "scroll" }, h("h2", {}, `Coefficients (${result.coefficients.n_nonzero} non-zero)`),
    h("table", { id: "coefficients" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "feature"), h("th", { scope: "col" }, "regularized"),
        base ? h("th", { scope: "col" }, "baseline") : null)),
      h("tbody", {}, result.coefficients.feature_names.map((name, i) => h("tr", {},
        h("th", { scope: "row" }, name),
        coef[i] === 0 ? h("td", { class: "num zero" }, "0 (zeroed)") : h("td", { class: "num" }, Number(coef[i]).toFixed(3)),
        base ? h("td", { class: "num" }, Number(base[i]).toFixed(3)) : null)))));
}

// -- new job ---------------------------------------------------------------------------

let openapi = null;

async function schemas() {
  openapi = openapi || (await (await fetch("/openapi.json")).json());
  const all = openapi.components.schemas;
  const union = (property) => Object.fromEntries(Object.entries(property.discriminator.mapping)
    .map(([kind, ref]) => [kind, all[ref.split("/").pop()]]));
  const job = all.JobCreate.properties;
  return { models: union(job.model), regularizers: union(job.regularizers.items), training: all.TrainingSpec };
}

function inputFor(id, name, schema) {
  // One input per schema property: a select for an enum or a boolean, else text (JSON for
  // lists and objects). Empty means "leave it out": the server's default applies.
  const options = schema.enum || (schema.anyOf || []).flatMap((s) => s.enum || []);
  const kind = schema.type || (schema.anyOf || []).map((s) => s.type).find((t) => t && t !== "null");
  let input;
  if (options.length || kind === "boolean") {
    const values = options.length ? options : ["true", "false"];
    input = h("select", { id, name }, h("option", { value: "" }, `default (${schema.default ?? "none"})`),
      values.map((v) => h("option", { value: v }, v)));
  } else {
    input = h("input", { id, name, type: "text", inputmode: kind === "number" || kind === "integer" ? "decimal" : undefined,
      placeholder: schema.default !== undefined && schema.default !== null ? JSON.stringify(schema.default) : "" });
  }
  input.dataset.kind = kind || "json";
  return h("div", { class: "field" }, h("label", { for: id }, schema.title || name), input,
    h("span", { class: "error", id: `${id}-error`, role: "alert" }));
}

function valueOf(input) {
  const raw = input.value.trim();
  if (raw === "") return undefined;
  if (input.dataset.kind === "number" || input.dataset.kind === "integer") return Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (input.dataset.kind === "boolean") return raw === "true";
  if (input.dataset.kind === "string") return raw;
  try { return JSON.parse(raw); } catch { return raw; }
}

function fieldsOf(schema, prefix) {
  return Object.entries(schema.properties || {}).filter(([name]) => name !== "kind")
    .map(([name, property]) => inputFor(`${prefix}.${name}`, name, property));
}

async function newJobView() {
  const [{ models, regularizers, training }, datasets] = await Promise.all([schemas(), json("/v1/datasets")]);
  const form = h("form", { id: "job-form", novalidate: true });
  const dataset = h("select", { id: "dataset" }, datasets.items.map((d) =>
    h("option", { value: d.id ? `id:${d.id}` : `name:${d.name}` }, d.id ? `${d.name} (upload)` : d.name)));
  const model = h("select", { id: "model" }, Object.keys(models).map((k) => h("option", { value: k }, k)));
  const modelFields = h("div");
  const regularizerList = h("div", { id: "regularizers" });
  const trainingFields = h("fieldset", {}, h("legend", {}, "Training (networks, torch engine)"), fieldsOf(training, "training"));
  const testFraction = inputFor("split.test_fraction", "test_fraction", { title: "Test fraction", type: "number", default: 0.2 });
  const figures = inputFor("figures", "figures", { title: "Figures", enum: ["lazy", "eager", "none"], default: "lazy" });
  const preview = h("pre", { id: "job-json" });
  const problem = h("p", { class: "error", role: "alert", id: "form-error" });
  let count = 0;

  const addRegularizer = () => {
    const index = count++;
    const kind = h("select", { id: `regularizers.${index}.kind`, "aria-label": "Regularizer kind" },
      Object.keys(regularizers).map((k) => h("option", { value: k }, k)));
    const fields = h("div");
    const box = h("fieldset", { "data-index": index }, h("legend", {}, "Regularizer"),
      h("div", { class: "field" }, h("label", { for: kind.id }, "Kind"), kind), fields,
      h("button", { type: "button", onclick: () => { box.remove(); update(); } }, "Remove"));
    const fill = () => fields.replaceChildren(...fieldsOf(regularizers[kind.value], `regularizers.${index}`));
    kind.addEventListener("change", () => { fill(); update(); });
    fill();
    regularizerList.append(box);
    update();
  };

  const body = () => {
    const spec = {};
    const [how, which] = dataset.value.split(/:(.*)/s);
    spec.dataset = how === "id" ? { id: which } : { name: which };
    spec.model = { kind: model.value };
    for (const input of modelFields.querySelectorAll("input, select")) {
      const v = valueOf(input);
      if (v !== undefined) spec.model[input.name] = v;
    }
    spec.regularizers = [...regularizerList.querySelectorAll("fieldset")].map((box) => {
      const r = { kind: box.querySelector("select").value };
      for (const input of box.querySelectorAll("div > input, div > select")) {
        if (input.id.endsWith(".kind")) continue;
        const v = valueOf(input);
        if (v !== undefined) r[input.name] = v;
      }
      return r;
    });
    const tf = valueOf(testFraction.querySelector("input"));
    if (tf !== undefined) spec.split = { test_fraction: tf };
    const fig = valueOf(figures.querySelector("select"));
    if (fig !== undefined) spec.figures = fig;
    const t = {};
    for (const input of trainingFields.querySelectorAll("input, select")) {
      const v = valueOf(input);
      if (v !== undefined) t[input.name] = v;
    }
    if (Object.keys(t).length) spec.training = t;
    return spec;
  };
  const update = () => { preview.textContent = JSON.stringify(body(), null, 2); };
  const fillModel = () => { modelFields.replaceChildren(...fieldsOf(models[model.value], "model")); update(); };
  model.addEventListener("change", fillModel);
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const node of form.querySelectorAll(".error")) node.textContent = "";
    const response = await api("/v1/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body()) });
    const answer = await response.json();
    if (response.ok) { location.hash = `#/jobs/${answer.id}`; return; }
    if (response.status === 422 && Array.isArray(answer.detail)) {
      for (const item of answer.detail) {
        const target = document.getElementById(`${fieldId(item.loc)}-error`);
        (target || problem).textContent = target ? item.msg : `${item.loc.join(".")}: ${item.msg}`;
      }
    } else {
      problem.textContent = message(answer);
    }
  });

  form.append(
    h("div", { class: "field" }, h("label", { for: "dataset" }, "Dataset"), dataset,
      h("span", { class: "error", id: "dataset-error", role: "alert" })),
    h("div", { class: "field" }, h("label", { for: "model" }, "Model"), model), modelFields,
    h("h2", {}, "Regularizers"), regularizerList,
    h("button", { type: "button", id: "add-regularizer", onclick: addRegularizer }, "Add regularizer"),
    testFraction, figures, trainingFields, problem, h("button", { type: "submit", id: "submit-job" }, "Submit"));
  view.replaceChildren(h("h1", {}, "New job"), h("div", { class: "row" }, form,
    h("div", {}, h("h2", {}, "The JSON it will POST to /v1/jobs"), preview)));
  fillModel();
  return () => {};
}

function fieldId(loc) {
  // ["body", "regularizers", 0, "l1", "alpha"] -> "regularizers.0.alpha": the union's tag
  // (the kind) is not a field of the form.
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  return path.filter((part, i) => !(i > 0 && isKind(part)
    && (path[i - 1] === "model" || typeof path[i - 1] === "number"))).join(".");
}

function isKind(part) {
  if (typeof part !== "string" || !openapi) return false;
  const all = openapi.components.schemas;
  const job = all.JobCreate.properties;
  return part in job.model.discriminator.mapping || part in job.regularizers.items.discriminator.mapping;
}

// -- datasets --------------------------------------------------------------------------

async function datasetsView() {
  const file = h("input", { id: "upload-file", type: "file", accept: ".csv,.txt,.parquet" });
  const target = h("input", { id: "upload-target", type: "text" });
  const task = h("select", { id: "upload-task" }, ["", "regression", "classification"].map((t) => h("option", { value: t }, t || "infer")));
  const problem = h("p", { class: "error", role: "alert", id: "upload-error" });
  const shown = h("div", { id: "dataset-detail" });
  const list = h("tbody");
  const drop = h("div", { class: "drop" }, "Drop a CSV or Parquet file here, or choose one:", h("br"), file);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); file.files = e.dataTransfer.files; });
  const refresh = async () => {
    const all = await json("/v1/datasets");
    list.replaceChildren(...all.items.filter((d) => d.id).map((d) => h("tr", {},
      h("td", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); show(d.id); } }, d.name)),
      h("td", {}, d.task || "—"), h("td", { class: "num" }, d.rows), h("td", { class: "num" }, d.features),
      h("td", {}, h("button", { type: "button", onclick: async () => {
        try { await json(`/v1/datasets/${d.id}`, { method: "DELETE" }); refresh(); } catch (error) { alert(error.message); }
      } }, "Delete")))));
  };
  const show = async (id) => {
    const [info, preview] = await Promise.all([json(`/v1/datasets/${id}`), json(`/v1/datasets/${id}/preview?rows=10`)]);
    shown.replaceChildren(h("h2", {}, `${info.name}: ${info.rows} rows`),
      h("div", { class: "scroll" }, h("table", { id: "columns" }, h("thead", {}, h("tr", {}, ["column", "type", "missing", "mean", "min", "max"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, info.columns.map((c) => h("tr", {}, h("th", { scope: "row" }, c.name), h("td", {}, c.type), h("td", { class: "num" }, c.missing),
          h("td", { class: "num" }, c.mean ?? ""), h("td", { class: "num" }, c.min ?? ""), h("td", { class: "num" }, c.max ?? "")))))),
      h("h2", {}, "First rows"),
      h("div", { class: "scroll" }, h("table", { id: "preview" }, h("thead", {}, h("tr", {}, preview.columns.map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, preview.rows.map((row) => h("tr", {}, row.map((v) => h("td", {}, v ?? ""))))))),
      h("p", {}, h("a", { href: `#/new` }, "Train on it")));
  };
  const form = h("form", { id: "upload-form", onsubmit: async (event) => {
    event.preventDefault();
    problem.textContent = "";
    if (!file.files.length) { problem.textContent = "choose a file"; return; }
    const data = new FormData();
    data.set("file", file.files[0]);
    data.set("name", file.files[0].name.replace(/\.[^.]*$/, ""));
    if (target.value.trim()) data.set("target", target.value.trim());
    if (task.value) data.set("task", task.value);
    try {
      const made = await json("/v1/datasets", { method: "POST", body: data });
      await refresh();
      await show(made.id);
    } catch (error) { problem.textContent = error.message; }
  } }, drop,
    h("div", { class: "field" }, h("label", { for: "upload-target" }, "Target column"), target),
    h("div", { class: "field" }, h("label", { for: "upload-task" }, "Task"), task), problem,
    h("button", { type: "submit", id: "upload-submit" }, "Upload"));
  view.replaceChildren(h("h1", {}, "Datasets"), form, shown, h("h2", {}, "Your uploads"),
    h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ["name", "task", "rows", "features", ""].map((c) => h("th", { scope: "col" }, c)))), list)));
  await refresh();
  return () => {};
}

// -- sweeps and comparisons ------------------------------------------------------------

function sweepView(collection, id) {
  const noun = collection === "sweeps" ? "Sweep" : "Comparison";
  const head = h("div");
  const detail = h("div");
  view.replaceChildren(h("h1", {}, `${noun} ${id.slice(0, 8)}`), head, detail);
  return every(1000, async () => {
    const sweep = await json(`/v1/${collection}/${id}`);
    head.replaceChildren(...[
      h("p", {}, "Status: ", h("span", { id: "sweep-status", class: `status ${sweep.status}` }, sweep.status),
        ` — ${sweep.trials_done}/${sweep.trials_total} tasks`),
      h("progress", { max: sweep.trials_total, value: sweep.trials_done, "aria-label": "tasks done" }),
      sweep.error ? h("p", { class: "error", role: "alert" }, `${sweep.error.code}: ${sweep.error.message}`) : null,
    ].filter(Boolean));
    if (sweep.status === "running") return true;
    if (sweep.status === "succeeded") {
      const result = await json(`/v1/${collection}/${id}/result`);
      detail.replaceChildren(...(collection === "sweeps" ? sweepResult(result) : comparisonResult(result)),
        ...figuresOf(result.artifacts), h("h2", {}, "Spec"), h("pre", {}, JSON.stringify(sweep.spec, null, 2)));
    }
    return false;
  });
}

function sweepResult(result) {
  const p = result.parameter;
  const best = result.best[p];
  const oneSe = result.best_1se[p];
  return [
    h("p", { id: "sweep-best" }, `Best ${p}: `, h("strong", {}, best.toPrecision(4)),
      ` (mean CV ${result.metric} ${num(result.cv.mean[result.values.indexOf(best)])}); the strongest within one standard error: `,
      h("strong", {}, oneSe.toPrecision(4))),
    h("div", { class: "scroll" }, h("table", { id: "sweep-curve" },
      h("thead", {}, h("tr", {}, [p, `CV ${result.metric} mean`, "std", `train ${result.metric}`].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, result.values.map((v, i) => h("tr", { class: v === best ? "best" : undefined },
        h("th", { scope: "row" }, v.toPrecision(4) + (v === best ? " (best)" : v === oneSe ? " (1-SE)" : "")),
        h("td", { class: "num" }, num(result.cv.mean[i])), h("td", { class: "num" }, num(result.cv.std[i])),
        h("td", { class: "num" }, num(result.train_mean[i]))))))),
  ];
}

function comparisonResult(result) {
  return [
    h("p", { id: "recommendation" }, result.recommendation),
    h("div", { class: "scroll" }, h("table", { id: "leaderboard" },
      h("thead", {}, h("tr", {}, ["configuration", `${result.metric} mean`, "std", `vs ${result.baseline}`, "p-value"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, result.leaderboard.map((row) => h("tr", {}, h("th", { scope: "row" }, row.name),
        h("td", { class: "num" }, num(row.mean)), h("td", { class: "num" }, num(row.std)),
        h("td", { class: "num" }, num(row.difference)), h("td", { class: "num" }, num(row.p_value))))))),
  ];
}

function figuresOf(artifacts) {
  const figures = h("div", { class: "figures" });
  for (const artifact of artifacts.filter((a) => a.media_type === "image/png")) {
    const img = h("img", { alt: artifact.name, "data-name": artifact.name });
    figures.append(h("figure", {}, img, h("figcaption", {}, artifact.name)));
    blobUrl(artifact.url).then((url) => { img.src = url; }, (error) => { img.replaceWith(h("p", { class: "error" }, error.message)); });
  }
  return [h("h2", {}, "Figures"), figures];
}

// -- named models ----------------------------------------------------------------------

async function modelsView(name) {
  if (!name) {
    const models = await json("/v1/models");
    view.replaceChildren(h("h1", {}, "Models"), models.items.length
      ? h("div", { class: "scroll" }, h("table", { id: "models" },
        h("thead", {}, h("tr", {}, ["name", "latest version", "aliases"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, models.items.map((m) => h("tr", {},
          h("td", {}, h("a", { href: `#/models/${encodeURIComponent(m.name)}` }, m.name)),
          h("td", { class: "num" }, m.latest_version ?? "—"),
          h("td", {}, Object.entries(m.aliases).map(([a, v]) => `${a} → ${v}`).join(", ")))))))
      : h("p", {}, "No named models yet: POST /v1/models, then add a succeeded job as a version."));
    return () => {};
  }
  const model = await json(`/v1/models/${encodeURIComponent(name)}`);
  const latest = model.versions[model.versions.length - 1];
  const example = latest ? exampleInput(latest.input) : {};
  const input = h("textarea", { id: "predict-input", rows: 6, cols: 60 }, JSON.stringify(example, null, 2));
  const answer = h("pre", { id: "predict-output" });
  const problem = h("p", { class: "error", role: "alert", id: "predict-error" });
  const form = h("form", { id: "predict-form", onsubmit: async (event) => {
    event.preventDefault();
    problem.textContent = "";
    try {
      const body = JSON.parse(input.value);
      const made = await json(`/v1/models/${encodeURIComponent(name)}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      answer.textContent = JSON.stringify(made, null, 2);
    } catch (error) { problem.textContent = error.message; }
  } }, h("label", { for: "predict-input" }, "The body to POST (one row or instance)"), h("br"), input, problem,
    h("br"), h("button", { type: "submit", id: "predict-submit" }, "Predict"));
  view.replaceChildren(h("h1", {}, `Model ${model.name}`),
    h("div", { class: "scroll" }, h("table", { id: "versions" },
      h("thead", {}, h("tr", {}, ["version", "job", "aliases", "created"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, model.versions.map((v) => h("tr", {}, h("td", { class: "num" }, v.version),
        h("td", {}, h("a", { href: `#/jobs/${v.job_id}` }, v.job_id.slice(0, 8))),
        h("td", {}, v.aliases.join(", ")), h("td", {}, new Date(v.created_at).toLocaleString())))))),
    h("h2", {}, "Predict"), form, answer);
  return () => {};
}

function exampleInput(input) {
  if (input.kind === "columns") {
    return { rows: [Object.fromEntries(input.columns.map((c) => [c.name, c.type === "number" ? 0 : (c.categories || [""])[0]]))] };
  }
  if (input.kind === "array") return { instances: [Array(input.features).fill(0)] };
  return { instances: [] };
}

// -- routing ---------------------------------------------------------------------------

async function route() {
  stopView();
  const [, page, id] = (location.hash || "#/jobs").split("/");
  try {
    if (page === "jobs" && id) stopView = jobView(id);
    else if (page === "new") stopView = await newJobView();
    else if (page === "datasets") stopView = await datasetsView();
    else if ((page === "sweeps" || page === "comparisons") && id) stopView = sweepView(page, id);
    else if (page === "models") stopView = await modelsView(id && decodeURIComponent(id));
    else stopView = jobsView();
  } catch (error) {
    view.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
  }
  view.focus();
}

window.addEventListener("hashchange", route);
route();
