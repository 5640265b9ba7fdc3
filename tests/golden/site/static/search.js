// Search page: a small interface over Pagefind's JavaScript API.
// The index lives in pagefind/ under the site's base path; the URLs come from
// data attributes that the build fills in, so the page works under any subpath.
// Results are built with DOM methods; excerpts keep only Pagefind's <mark>s.

const PAGE_SIZE = 20;
const root = document.getElementById("search");
const form = root.querySelector("form");
const query = form.elements.namedItem("q");
const tag = form.elements.namedItem("tag");
const sort = form.elements.namedItem("sort");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");

let pagefind = null;
let generation = 0;
let pending = [];
let replaced = new Set();  // entries an edit index replaces (preview only)
let timer = 0;

function readLocation() {
  const params = new URLSearchParams(window.location.search);
  query.value = params.get("q") || "";
  for (const [select, name] of [[tag, "tag"], [sort, "sort"]]) {
    const value = params.get(name) || "";
    if ([...select.options].some((option) => option.value === value)) select.value = value;
  }
}

function writeLocation() {
  const params = new URLSearchParams();
  if (query.value.trim()) params.set("q", query.value.trim());
  if (tag.value) params.set("tag", tag.value);
  if (sort.value) params.set("sort", sort.value);
  const search = params.toString();
  const url = window.location.pathname + (search ? "?" + search : "");
  window.history.replaceState(null, "", url);
}

function excerptNodes(html) {
  // A <template> parses without running anything; only text and <mark> are kept.
  const template = document.createElement("template");
  template.innerHTML = html || "";
  const fragment = document.createDocumentFragment();
  for (const node of template.content.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      fragment.append(mark);
    } else {
      fragment.append(node.textContent);
    }
  }
  return fragment;
}

// A title with math comes as the page's rendered MathML (meta "title_html"); it is
// rebuilt here from an allowlist of MathML elements and attributes, text as text.
const MATHML = "http://www.w3.org/1998/Math/MathML";
const MATH_TAGS = new Set(["math", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msup",
  "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable",
  "mtr", "mtd", "mstyle", "menclose", "mpadded", "mphantom", "semantics", "annotation"]);
const MATH_ATTRS = new Set(["display", "mathvariant", "stretchy", "fence", "separator", "lspace",
  "rspace", "accent", "accentunder", "width", "columnalign", "linethickness", "notation"]);

function mathNode(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const name = node.localName.toLowerCase();
  if (!MATH_TAGS.has(name)) return document.createTextNode(node.textContent);
  const element = document.createElementNS(MATHML, name);
  for (const attribute of node.attributes) {
    if (MATH_ATTRS.has(attribute.name)) element.setAttribute(attribute.name, attribute.value);
  }
  for (const child of node.childNodes) {
    const copy = mathNode(child);
    if (copy) element.append(copy);
  }
  return element;
}

function titleNodes(data) {
  const meta = data.meta || {};
  const fragment = document.createDocumentFragment();
  if (!meta.title_html) {
    fragment.append(meta.title || data.url);
    return fragment;
  }
  const template = document.createElement("template");
  template.innerHTML = meta.title_html;
  for (const node of template.content.childNodes) {
    const copy = mathNode(node);
    if (copy) fragment.append(copy);
  }
  return fragment;
}

function plural(count, word) {
  return `${count} ${word}${count === "1" ? "" : "s"}`;
}

// Date as on the cards ("Oct 8, 2025"), names, then counts, upvotes first.
function resultMeta(data) {
  const meta = data.meta || {};
  const line = document.createElement("p");
  line.className = "meta";
  const parts = [];
  if (meta.date) {
    const time = document.createElement("time");
    time.dateTime = meta.date;
    time.textContent = meta.date_label || meta.date;
    parts.push(time);
  }
  if (meta.byline) parts.push(meta.byline);
  parts.forEach((part, index) => line.append(...(index ? [" · ", part] : [part])));
  const counts = document.createElement("span");
  counts.className = "stats-inline";
  if (meta.upvotes) {
    const up = document.createElement("strong");
    up.className = "upvotes";
    up.textContent = "▲ " + plural(meta.upvotes, "upvote");
    counts.append(up);
  }
  if (meta.comments) counts.append((counts.childNodes.length ? " · " : "") + plural(meta.comments, "comment"));
  if (counts.childNodes.length) line.append(parts.length ? " · " : "", counts);
  return line;
}

function resultTags(data) {
  const tags = (data.filters && data.filters.tag) || [];
  if (!tags.length) return null;
  const line = document.createElement("p");
  line.className = "result-tags";
  line.textContent = "Tags: " + tags.join(", ");
  return line;
}

function resultItem(data) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.append(titleNodes(data));
  heading.append(link);
  item.append(heading, resultMeta(data));
  const excerpt = document.createElement("p");
  excerpt.className = "excerpt";
  excerpt.append(excerptNodes(data.excerpt));
  item.append(excerpt);
  const tags = resultTags(data);
  if (tags) item.append(tags);
  return item;
}

// "arXiv:2312.11514v2", "https://arxiv.org/abs/2312.11514" and "doi:10.1/x" become the bare
// id, as the pages index it.
function searchWords(text) {
  return text.trim()
    .replace(/(?:https?:\/\/)?(?:www\.)?arxiv\.org\/(?:abs|pdf)\/([^\s?#]+)/gi, "$1")
    .replace(/\barxiv:\s*/gi, "")
    .replace(/\b(\d{4}\.\d{4,5})v\d+\b/gi, "$1")
    .replace(/(?:https?:\/\/)?(?:dx\.)?doi\.org\//gi, "")
    .replace(/\bdoi:\s*/gi, "");
}

async function showMore(current) {
  const batch = pending.splice(0, PAGE_SIZE);
  // Every result's fragment is asked for at once; each is shown, in order, as soon as
  // it and those before it have come, so the first does not wait for the twentieth.
  const loading = batch.map((result) => result.data());
  list.setAttribute("aria-busy", "true");  // until the whole batch is in
  for (const entry of loading) {
    const data = await entry;
    if (current !== generation) return;
    list.append(resultItem(data));
  }
  list.setAttribute("aria-busy", "false");
  more.hidden = pending.length === 0;
}

function options() {
  const chosen = {};
  if (tag.value) chosen.filters = { tag: tag.value };
  let order = sort.value;
  if (!order && !searchWords(query.value)) order = "date:desc";
  if (order) {
    const [key, direction] = order.split(":");
    chosen.sort = { [key]: direction };
  }
  return chosen;
}

async function run() {
  const current = ++generation;
  writeLocation();
  const words = searchWords(query.value);
  if (!words && !tag.value && !sort.value) {
    list.replaceChildren();
    list.setAttribute("aria-busy", "false");
    pending = [];
    more.hidden = true;
    status.textContent = "";
    return;
  }
  status.textContent = "Searching…";
  const search = await pagefind.search(words || null, options());
  if (current !== generation || !search) return;
  list.replaceChildren();
  pending = search.results.filter((result) => !replaced.has(result.id));
  const count = pending.length;
  status.textContent = count === 0 ? "No papers match." :
    `${count} paper${count === 1 ? "" : "s"} found.`;
  await showMore(current);
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(run, 200);
}

// The index comes in parts (sitegen/outputs/search_parts.py): the first is the
// bundle's own, the others are listed in sitegen-parts.json and merged into it.
// In the preview, an edited paper's new entry may come as an index of its own
// ("edits", sitegen/outputs/search_edits.py), naming its old entry to hide.
async function mergeParts(bundle, base) {
  const response = await fetch(bundle + "sitegen-parts.json");
  if (!response.ok) throw new Error(`sitegen-parts.json: HTTP ${response.status}`);
  const { parts, edits } = await response.json();
  const merged = edits ? [...parts, edits.index] : parts;
  if (edits) replaced = new Set(edits.hide);
  await Promise.all(merged.map((part) => pagefind.mergeIndex(bundle + part, { baseUrl: base })));
}

async function start() {
  try {
    pagefind = await import(root.dataset.bundle + "pagefind.js");
    await pagefind.options({ baseUrl: root.dataset.base });
    await Promise.all([pagefind.init(), mergeParts(root.dataset.bundle, root.dataset.base)]);
  } catch (error) {
    status.textContent = "The search index could not be loaded. Browse by tag or in the archive instead.";
    return;
  }
  form.hidden = false;
  readLocation();
  query.addEventListener("input", schedule);
  tag.addEventListener("change", run);
  sort.addEventListener("change", run);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    run();
  });
  more.addEventListener("click", () => showMore(generation));
  if (query.value || tag.value || sort.value) await run();
  query.focus();
}

start();
