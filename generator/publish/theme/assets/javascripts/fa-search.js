// falco-archive search page (issue 5), loaded by site_src/search.md.
//
// The archive is indexed by generator/search.py as several Pagefind indexes ("shards"): one
// for the hand-written and aggregate pages ("pages", which also carries pagefind.js and its
// WebAssembly) and one per contiguous time range of alert pages, each small enough to index
// in bounded memory. pagefind/shards.json lists the alert shards newest first.
//
// Why not one merged search: Pagefind's mergeIndex re-sorts merged results by score, which
// loses the time order, and every merged index costs its metadata on every query. Instead the
// shards are merged one at a time, newest first, each tagged with a synthetic "shard" filter,
// and each search asks for one shard only, sorted by time. Shards hold disjoint time ranges,
// so concatenating them newest first is newest first overall, and a query stops downloading
// as soon as a page of results is full, or when the shards it opened this step reach
// META_BUDGET bytes of metadata: going further back is one click ("Search older alerts") or a
// date range, so no single query downloads the whole archive's metadata. Alert IDs and uuids
// are looked up in a small table (pagefind/ids/<first hex digits>.json), not searched.
//
// Two orders (issue 13): by relevance (the default, Pagefind's own ranking: the shards of one
// step are merged and searched together, so their results are ranked against each other) or
// newest first (sort=newest, shard by shard as above).
//
// A listing with filters but no text does not use Pagefind at all (a text-less Pagefind query
// would download every index chunk): the build writes a per-month facet index
// (search/facets/YYYY-MM.json, generator/pages/facets.py) and the months of the date range are
// fetched, newest first, only as far as the page of results needs; the IDs of the alerts shown
// come from the month's ID chunks (search/facets/YYYY-MM/<k>.json). search/known.json lists
// the known rules, hosts, sources and tags (offered as suggestions, and a filter typed in
// another case is matched to the known value) and the months that hold alerts.
//
// Every value shown comes from alerts, so it is attacker-controlled: it only ever reaches the
// page through textContent, never innerHTML.

const PAGE_SIZE = 20;
const PAGES_SHOWN = 5;
const EXCERPT_WORDS = 30;
const META_BUDGET = Number(globalThis.faSearchMetaBudget) || 120_000; // tests may lower it
const FILTERS = ["priority", "rule", "host", "source", "tag", "image", "namespace"];
const RANGE = ["from", "to"];
const SORTS = ["relevance", "newest"];
// Filters the facet index can answer without text; image and namespace need some text.
const FACETS = ["priority", "rule", "host", "source", "tag"];
const FACET_ID = /^(?:u?[0-9a-f]{16}|[0-9a-f]{32})$/; // a UUID comes without its dashes
const MONTH = /^\d{4}-\d{2}$/;
const PRIORITIES = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"];
const PRIORITY_ALIASES = { INFO: "Informational", WARN: "Warning", ERR: "Error", CRIT: "Critical", EMERG: "Emergency" };
const ID_IN_QUERY =
  /^(?:.*\/)?(u?[0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/(?:index\.html)?|\.json)?(?:[?#]\S*)?$/;
// A falcosidekick uuid that is not a real UUID: its alert ID is "u" + sha256(uuid)[:16].
const OTHER_UUID = /^(?=.*\d)\S{8,200}$/;
const DAY = /^\d{4}\/\d{2}\/\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const siteRoot = new URL("../../", import.meta.url); // assets/javascripts/ -> site root
const bundleRoot = new URL("pagefind/", siteRoot);

const $ = (id) => document.getElementById(id);
const form = $("fa-search-form");
const statusBox = $("fa-status");
const browseBox = $("fa-browse");
const pagesBox = $("fa-pages");
const resultsList = $("fa-results");
const moreButton = $("fa-more");

let manifestPromise = null;
let pagefindPromise = null;
let session = null;
let generation = 0;
const baseTitle = document.title;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function setStatus(text, done = true) {
  statusBox.textContent = text;
  statusBox.dataset.state = done ? "done" : "busy";
}

/** Only links into this site, as a path: index data is ours, but never trust a URL blindly. */
function siteHref(raw) {
  try {
    const url = new URL(raw, siteRoot);
    if (url.origin !== siteRoot.origin || !url.pathname.startsWith(siteRoot.pathname)) return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

function priorityLabel(value) {
  if (typeof value !== "string") return null;
  const key = value.trim().toUpperCase();
  const label = PRIORITY_ALIASES[key] || key.charAt(0) + key.slice(1).toLowerCase();
  return PRIORITIES.includes(label) ? label : null;
}

function badge(priority) {
  const label = priorityLabel(priority);
  if (!label) return null;
  return el("span", `fa-badge fa-p-${label.toLowerCase()}`, label);
}

/** Pagefind's excerpt is HTML; this one is built from the plain text, marks as elements. */
function excerpt(content, locations) {
  const words = String(content || "").split(/[\r\n\s]+/g);
  const marks = new Set(Array.isArray(locations) ? locations : []);
  const first = marks.size ? Math.min(...marks) : 0;
  const start = Math.max(0, Math.min(first - Math.floor(EXCERPT_WORDS / 3), words.length - EXCERPT_WORDS));
  const end = Math.min(words.length, start + EXCERPT_WORDS);
  const p = el("p", "fa-result-excerpt");
  if (start > 0) p.append("… ");
  for (let i = start; i < end; i++) {
    p.append(marks.has(i) ? el("mark", null, words[i]) : words[i]);
    if (i < end - 1) p.append(" ");
  }
  if (end < words.length) p.append(" …");
  return p;
}

function alertItem({ href, title, priority, host, time, content, locations, exact }) {
  const li = el("li", exact ? "fa-exact" : "");
  const head = el("div", "fa-result-head");
  const link = el("a", null, title || "(no rule)");
  link.href = href;
  head.append(link);
  const b = badge(priority);
  if (b) head.append(b);
  if (exact) head.append(el("span", "fa-result-meta", "exact ID match"));
  li.append(head);
  const meta = el("div", "fa-result-meta");
  meta.append(el("span", null, `host ${host ?? "unknown"}`), " · ", el("time", null, time || ""));
  li.append(meta);
  if (content) li.append(excerpt(content, locations));
  return li;
}

function readParams() {
  const params = new URLSearchParams(location.search);
  const out = { q: (params.get("q") || "").trim() };
  for (const key of [...FILTERS, ...RANGE]) out[key] = (params.get(key) || "").trim();
  out.sort = SORTS.includes(params.get("sort")) && params.get("sort") !== SORTS[0] ? params.get("sort") : "";
  return out;
}

function fillForm(params) {
  for (const [key, value] of Object.entries(params)) {
    const field = form.elements.namedItem(key);
    if (field) field.value = value;
  }
}

function paramsFromForm() {
  const out = { q: String(form.elements.namedItem("q").value || "").trim() };
  for (const key of [...FILTERS, ...RANGE]) out[key] = String(form.elements.namedItem(key)?.value || "").trim();
  const sort = String(form.elements.namedItem("sort")?.value || "");
  out.sort = SORTS.includes(sort) && sort !== SORTS[0] ? sort : "";
  return out;
}

function toQueryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : location.pathname;
}

function loadManifest() {
  manifestPromise ??= fetch(new URL("shards.json", bundleRoot), { cache: "no-cache" }).then((r) => {
    if (!r.ok) throw new Error(`the search index is missing (HTTP ${r.status})`);
    return r.json();
  });
  return manifestPromise;
}

function loadPagefind(manifest) {
  pagefindPromise ??= import(new URL(`${manifest.runtime}/pagefind.js`, bundleRoot).href);
  return pagefindPromise;
}

async function sha256Hex(text) {
  if (!globalThis.crypto?.subtle) return null; // only in secure contexts (https, 127.0.0.1)
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The alert ID a pasted text names: an ID, a uuid, an alert link, or an odd falcosidekick uuid. */
async function idsIn(text) {
  const exact = text.toLowerCase().match(ID_IN_QUERY);
  if (exact) return [exact[1]];
  if (!OTHER_UUID.test(text)) return [];
  const hex = await sha256Hex(text);
  return hex ? [`u${hex.slice(0, 16)}`] : [];
}

/** Same slug as generator/urls.py name_slug, so a rule or host filter can link to its page. */
async function nameSlug(name) {
  const full = await sha256Hex(name);
  if (!full) return null;
  const hex = full.slice(0, 16);
  const ascii = name.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  const words = ascii.toLowerCase().match(/[a-z0-9]+/g) || [];
  const readable = words.join("-").slice(0, 48).replace(/^-+|-+$/g, "");
  return readable ? `${readable}-${hex}` : hex;
}

async function showBrowseLinks(filters, needsText) {
  const p = el("p");
  p.append(needsText ? "Image and namespace filters need some text. Browse the archive's pages: " : "See also: ");
  const links = [];
  const priority = priorityLabel(filters.priority);
  if (priority) links.push([`all ${priority} alerts`, `priorities/${priority.toLowerCase()}/`]);
  for (const [key, dir] of [
    ["rule", "rules"],
    ["host", "hosts"],
  ]) {
    if (!filters[key]) continue;
    // Host filter values show look-alike and control characters as escapes (\u0430, \x20;
    // pages/escape.name_visible): the exact name is not known here, so link the hosts index.
    const marked = key === "host" && /\\[xuU][0-9a-f]/.test(filters[key]);
    const slug = marked ? null : await nameSlug(filters[key]);
    links.push([`${key} ${filters[key]}`, slug ? `${dir}/${slug}/` : `${dir}/`]);
  }
  if (!links.length) links.push(["rules", "rules/"], ["hosts", "hosts/"], ["priorities", "priorities/"]);
  links.forEach(([text, path], i) => {
    const a = el("a", null, text);
    a.href = new URL(path, siteRoot).pathname;
    p.append(a, i < links.length - 1 ? ", " : ".");
  });
  browseBox.append(p);
  if (needsText) browseBox.append(el("p", null, "Type some text to search within these filters."));
}

async function findById(id) {
  const manifest = await loadManifest();
  const prefix = Number(manifest.ids?.prefix) || 2;
  const bucket = id.replace(/^u/, "").slice(0, prefix);
  const response = await fetch(new URL(`ids/${bucket}.json`, bundleRoot), { cache: "no-cache" });
  if (!response.ok) return null;
  const table = await response.json();
  const day = Object.hasOwn(table, id) ? table[id] : null;
  if (typeof day !== "string" || !DAY.test(day)) return null;
  const page = siteHref(`alerts/${day}/${id}/`);
  let raw = {};
  try {
    const json = await fetch(new URL(`alerts/${day}/${id}.json`, siteRoot));
    if (json.ok) raw = await json.json();
  } catch {
    raw = {};
  }
  const str = (v) => (typeof v === "string" ? v : null);
  return {
    href: page,
    title: str(raw.rule) || `Alert ${id}`,
    priority: str(raw.priority),
    host: str(raw.hostname) || "unknown",
    time: str(raw.time) || day,
    content: str(raw.output)?.slice(0, 1000) || "",
    locations: [],
    exact: true,
  };
}

/** One search: the text, the filters, and how far back in time it has looked so far. */
class Session {
  constructor(pagefind, manifest, term, filters, range, sort) {
    this.manifest = manifest;
    this.relevance = sort !== "newest";
    this.term = term;
    this.filters = filters;
    this.range = range;
    this.pending = manifest.alerts.filter((s) => (!range.from || s.last >= range.from) && (!range.to || s.first <= range.to));
    this.searched = [];
    this.buffer = [];
    this.shown = new Set();
    this.instance = pagefind.createInstance({
      basePath: new URL(`${manifest.runtime}/`, bundleRoot).pathname,
      baseUrl: siteRoot.pathname,
      excerptLength: EXCERPT_WORDS,
    });
    this.ready = this.instance.options({ mergeFilter: { shard: manifest.runtime } });
  }

  async pages() {
    await this.ready;
    const found = await this.instance.search(this.term, { filters: { shard: this.manifest.runtime } });
    return Promise.all((found?.results || []).slice(0, PAGES_SHOWN).map((r) => r.data()));
  }

  /** Search `shards` together: by relevance they are ranked against each other; newest
   * first is asked for one shard at a time (shards hold disjoint time ranges). */
  async searchShards(shards) {
    await this.ready;
    for (const shard of shards) {
      await this.instance.mergeIndex(new URL(`${shard.name}/`, bundleRoot).pathname, {
        mergeFilter: { shard: shard.name },
        baseUrl: siteRoot.pathname,
        excerptLength: EXCERPT_WORDS,
      });
    }
    const filters = { ...this.filters, shard: { any: shards.map((s) => s.name) } };
    const span = {
      first: shards.reduce((a, s) => (s.first < a ? s.first : a), shards[0].first),
      last: shards.reduce((a, s) => (s.last > a ? s.last : a), shards[0].last),
    };
    const days = this.daysWithin(span);
    if (days) filters.day = { any: days };
    const options = this.relevance ? { filters } : { filters, sort: { time: "desc" } };
    const found = await this.instance.search(this.term, options);
    this.searched.push(...shards);
    return found?.results || [];
  }

  /** For a shard only partly inside the date range, the days of it that are inside. */
  daysWithin(shard) {
    const from = this.range.from && this.range.from > shard.first ? this.range.from : null;
    const to = this.range.to && this.range.to < shard.last ? this.range.to : null;
    if (!from && !to) return null;
    const days = [];
    const day = new Date(`${from || shard.first}T00:00:00Z`);
    const last = to || shard.last;
    for (let n = 0; n < 400; n++) {
      const text = day.toISOString().slice(0, 10);
      if (text > last) break;
      days.push(text);
      day.setUTCDate(day.getUTCDate() + 1);
    }
    return days;
  }

  /** The next `count` alerts, newest first, opening older shards only while needed and
   * while this step's metadata stays within META_BUDGET (the first shard always opens). */
  async next(count) {
    let spent = 0;
    if (this.relevance) {
      // One step: the shards within the budget, ranked together; older ones on demand.
      const step = [];
      while (!this.buffer.length && this.pending.length) {
        if (step.length && spent + (this.pending[0].meta || 0) > META_BUDGET) break;
        spent += this.pending[0].meta || 0;
        step.push(this.pending.shift());
      }
      if (step.length) this.buffer.push(...(await this.searchShards(step)));
    }
    while (!this.relevance && this.buffer.length < count && this.pending.length) {
      if (spent && spent + (this.pending[0].meta || 0) > META_BUDGET) break;
      spent += this.pending[0].meta || 0;
      this.buffer.push(...(await this.searchShards([this.pending.shift()])));
    }
    const batch = this.buffer.splice(0, count);
    return Promise.all(batch.map((r) => r.data()));
  }

  get exhausted() {
    return !this.pending.length && !this.buffer.length;
  }

  destroy() {
    this.instance.destroy?.().catch?.(() => {});
  }
}

function describeReach(s) {
  if (!s.searched.length) return "";
  const newest = s.searched[0].last;
  const oldest = s.searched[s.searched.length - 1].first;
  if (s.pending.length) return ` (searched alerts from ${newest} back to ${oldest}; older alerts are searched on demand)`;
  if (s.range.from || s.range.to) return ` (searched ${s.range.from || "the start"} to ${s.range.to || "now"})`;
  return ` (searched the whole archive, ${oldest} to ${newest})`;
}

async function showMore(s, gen, final = true) {
  moreButton.hidden = true;
  setStatus("Searching…", false);
  const batch = await s.next(PAGE_SIZE);
  if (gen !== generation) return;
  for (const d of batch) {
    const href = siteHref(d.url);
    if (!href || s.shown.has(href)) continue;
    s.shown.add(href);
    const meta = d.meta || {};
    resultsList.append(
      alertItem({
        href,
        title: meta.title,
        priority: meta.priority,
        host: meta.host,
        time: meta.time,
        content: d.content,
        locations: d.locations,
      }),
    );
  }
  const n = resultsList.querySelectorAll("li:not(.fa-exact)").length;
  const order = s.relevance ? "most relevant first" : "newest first";
  const what = n ? `${n}${s.exhausted ? "" : "+"} alert${n === 1 ? "" : "s"}, ${order}` : "No alerts found";
  setStatus(what + describeReach(s) + ".", final);
  moreButton.textContent = s.buffer.length ? (s.relevance ? "Show more alerts" : "Show older alerts") : "Search older alerts";
  moreButton.hidden = s.exhausted;
}

// Known filter values (issue 13): search/known.json, written by the build from the catalog.
// They are offered as suggestions, and a filter typed in another case is matched to the known
// value, so "NODE-1" finds node-1's alerts.
const KNOWN = { rule: "rules", host: "hosts", source: "sources", tag: "tags" };
let knownPromise = null;

function loadKnown() {
  knownPromise ??= fetch(new URL("search/known.json", siteRoot), { cache: "no-cache" })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}));
  return knownPromise;
}

async function knownValues(key) {
  const values = (await loadKnown())?.[KNOWN[key]];
  return Array.isArray(values) ? values.filter((v) => typeof v === "string") : [];
}

async function offerKnownValues() {
  for (const key of Object.keys(KNOWN)) {
    const input = form.elements.namedItem(key);
    if (!input) continue;
    const list = document.createElement("datalist");
    list.id = `fa-known-${key}`;
    for (const value of await knownValues(key)) {
      const option = document.createElement("option");
      option.value = value;
      list.append(option);
    }
    form.append(list);
    input.setAttribute("list", list.id);
  }
}

async function canonicalFilters(filters) {
  for (const key of Object.keys(KNOWN)) {
    if (!filters[key]) continue;
    const wanted = filters[key].toLowerCase();
    const match = (await knownValues(key)).find((v) => v.toLowerCase() === wanted);
    if (match) filters[key] = match;
  }
}

/** A listing by filters alone, from the per-month facet index, newest month first. */
class FacetListing {
  constructor(known, filters, range) {
    this.filters = filters;
    const months = Object.keys(known?.months || {}).filter((m) => MONTH.test(m));
    this.fromSec = range.from ? Date.parse(`${range.from}T00:00:00Z`) / 1000 : -Infinity;
    this.toSec = range.to ? Date.parse(`${range.to}T00:00:00Z`) / 1000 + 86400 : Infinity;
    this.pending = months
      .filter((m) => (!range.from || m >= range.from.slice(0, 7)) && (!range.to || m <= range.to.slice(0, 7)))
      .sort()
      .reverse();
    this.range = range;
    this.scanned = [];
    this.buffer = [];
    this.matched = 0;
    this.relevance = false;
  }

  /** Indexes of a month's own table whose value matches the filter (any case). */
  static allowed(table, wanted) {
    const lower = wanted.toLowerCase();
    const out = new Set();
    (Array.isArray(table) ? table : []).forEach((v, i) => {
      if (String(v).toLowerCase() === lower) out.add(i);
    });
    return out;
  }

  async loadMonth(month) {
    const response = await fetch(new URL(`search/facets/${month}.json`, siteRoot));
    if (!response.ok) throw new Error(`the filter index of ${month} is missing (HTTP ${response.status})`);
    const d = await response.json();
    const f = this.filters;
    const want = {};
    if (f.priority) want.p = FacetListing.allowed(d.priorities, f.priority);
    if (f.rule) want.r = FacetListing.allowed(d.rules, f.rule);
    if (f.host) want.h = FacetListing.allowed(d.hosts, f.host);
    if (f.source) want.s = FacetListing.allowed(d.sources, f.source);
    if (f.tag) {
      const tag = f.tag.toLowerCase();
      want.g = new Set();
      (d.tagsets || []).forEach((set, i) => {
        if (Array.isArray(set) && set.some((t) => String(t).toLowerCase() === tag)) want.g.add(i);
      });
    }
    const keys = Object.keys(want);
    const count = Array.isArray(d.dt) ? d.dt.length : 0;
    const chunk = Number(d.id_chunk) || 1;
    const times = new Array(count);
    let t = Number(d.start) || 0;
    for (let i = 0; i < count; i++) times[i] = t += Number(d.dt[i]) || 0;
    const rows = [];
    for (let i = count - 1; i >= 0; i--) {
      if (times[i] < this.fromSec || times[i] >= this.toSec) continue;
      if (keys.some((k) => !want[k].has(d[k][i]))) continue;
      rows.push({
        month,
        chunk: Math.floor(i / chunk),
        at: i % chunk,
        title: d.rules?.[d.r[i]],
        priority: d.priorities?.[d.p[i]],
        host: d.hosts?.[d.h[i]],
        time: new Date(times[i] * 1000).toISOString().replace(".000Z", "Z"),
      });
    }
    return rows;
  }

  /** The links of `rows`: their IDs, from only the ID chunks they fall in (fetched at once). */
  async withLinks(rows) {
    this.chunks ??= new Map();
    for (const row of rows) {
      const key = `${row.month}/${row.chunk}`;
      if (!this.chunks.has(key)) {
        this.chunks.set(
          key,
          fetch(new URL(`search/facets/${key}.json`, siteRoot)).then((r) => {
            if (!r.ok) throw new Error(`the alert IDs of ${row.month} are missing (HTTP ${r.status})`);
            return r.json();
          }),
        );
      }
    }
    const out = [];
    for (const row of rows) {
      const ids = await this.chunks.get(`${row.month}/${row.chunk}`);
      let id = String(Array.isArray(ids) ? ids[row.at] : "");
      if (!FACET_ID.test(id)) continue;
      if (id.length === 32) id = id.replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
      const href = siteHref(`alerts/${row.time.slice(0, 10).replaceAll("-", "/")}/${id}/`);
      if (href) out.push({ ...row, href });
    }
    return out;
  }

  async next(count) {
    while (this.buffer.length < count && this.pending.length) {
      const month = this.pending.shift();
      const rows = await this.loadMonth(month);
      this.scanned.push(month);
      this.matched += rows.length;
      this.buffer.push(...rows);
    }
    return this.withLinks(this.buffer.splice(0, count));
  }

  get exhausted() {
    return !this.pending.length && !this.buffer.length;
  }

  destroy() {}
}

async function showListing(listing, gen) {
  moreButton.hidden = true;
  setStatus("Listing…", false);
  const batch = await listing.next(PAGE_SIZE);
  if (gen !== generation) return;
  for (const row of batch) resultsList.append(alertItem(row));
  const n = resultsList.querySelectorAll("li").length;
  const total = `${listing.matched}${listing.pending.length ? "+" : ""}`;
  let reach = "";
  if (listing.scanned.length && listing.pending.length) {
    reach = ` (listed ${listing.scanned[listing.scanned.length - 1]} to ${listing.scanned[0]}; older months on demand)`;
  }
  const what = n ? `${n} of ${total} alert${listing.matched === 1 ? "" : "s"}, newest first` : "No alerts found";
  setStatus(what + reach + ".");
  moreButton.textContent = "Show older alerts";
  moreButton.hidden = listing.exhausted;
}

async function run(params) {
  const gen = ++generation;
  session?.destroy();
  session = null;
  browseBox.replaceChildren();
  pagesBox.replaceChildren();
  resultsList.replaceChildren();
  moreButton.hidden = true;
  const filters = {};
  for (const key of FILTERS) {
    if (params[key]) filters[key] = key === "priority" ? priorityLabel(params[key]) || params[key] : params[key];
  }
  await canonicalFilters(filters);
  if (gen !== generation) return;
  const range = {};
  for (const key of RANGE) if (DATE.test(params[key])) range[key] = params[key];
  document.title = params.q ? `${params.q} · ${baseTitle}` : baseTitle;
  if (!params.q) {
    const facets = FACETS.some((k) => filters[k]) || Object.keys(range).length > 0;
    const other = Object.keys(filters).some((k) => !FACETS.includes(k));
    if (!facets || other) {
      const some = Object.keys(filters).length > 0;
      setStatus(some ? "" : "Type some text to search every alert and page, or choose filters.", !some);
      if (some) await showBrowseLinks(filters, other);
      if (gen === generation) statusBox.dataset.state = "done";
      return;
    }
    try {
      const listing = new FacetListing(await loadKnown(), filters, range);
      if (gen !== generation) return;
      session = listing;
      if (Object.keys(filters).length) await showBrowseLinks(filters, false);
      if (gen === generation) await showListing(listing, gen);
    } catch (error) {
      if (gen === generation) setStatus(`Listing failed: ${error?.message || error}`);
    }
    return;
  }
  setStatus("Searching…", false);
  try {
    for (const id of await idsIn(params.q)) {
      const hit = await findById(id);
      if (gen !== generation) return;
      if (hit?.href) {
        // A pasted ID, uuid or alert link opens the alert (issue 13); replace(), so Back goes
        // to where the reader came from, not to a search that would open the alert again.
        resultsList.append(alertItem(hit));
        setStatus("Found the alert with this ID: opening it…");
        window.location.replace(hit.href);
        return;
      }
    }
    const manifest = await loadManifest();
    const pagefind = await loadPagefind(manifest);
    if (gen !== generation) return;
    const s = new Session(pagefind, manifest, params.q, filters, range, params.sort);
    session = s;
    const narrowed = Object.keys(filters).length || Object.keys(range).length;
    const pages = narrowed ? Promise.resolve([]) : s.pages();
    await showMore(s, gen, false);
    const pageHits = (await pages).filter((d) => siteHref(d.url));
    if (gen !== generation) return;
    if (pageHits.length) {
      const list = el("ul");
      for (const d of pageHits) {
        const li = el("li");
        const a = el("a", null, d.meta?.title || siteHref(d.url));
        a.href = siteHref(d.url);
        li.append(a, excerpt(d.content, d.locations));
        list.append(li);
      }
      pagesBox.append(el("h2", null, "Pages"), list, el("h2", null, "Alerts"));
    }
    statusBox.dataset.state = "done";
  } catch (error) {
    if (gen === generation) setStatus(`Search failed: ${error?.message || error}`);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const params = paramsFromForm();
  history.pushState(null, "", toQueryString(params));
  run(params);
});
moreButton.addEventListener("click", () => {
  if (session instanceof FacetListing) showListing(session, generation);
  else if (session) showMore(session, generation);
});
window.addEventListener("popstate", () => {
  const params = readParams();
  fillForm(params);
  run(params);
});

const initial = readParams();
fillForm(initial);
run(initial);
offerKnownValues();
