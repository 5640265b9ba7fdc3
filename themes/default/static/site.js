// On every page: the light/dark switch and the keys that open search.
// Without JavaScript the page follows the system's colour scheme and the
// switch stays hidden; the choice is kept in localStorage and applied by a
// theme.js, loaded in <head>, before the first paint.

const KEY = "sitegen-theme";
const root = document.documentElement;
const dark = window.matchMedia("(prefers-color-scheme: dark)");

function isDark() {
  return root.dataset.theme ? root.dataset.theme === "dark" : dark.matches;
}

function setupToggle() {
  const button = document.querySelector(".theme-toggle");
  if (!button) return;
  const show = () => button.setAttribute("aria-pressed", String(isDark()));
  button.addEventListener("click", () => {
    const next = isDark() ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem(KEY, next); } catch (error) { /* private mode: not kept */ }
    show();
  });
  dark.addEventListener("change", show);
  show();
  button.hidden = false;
}

function typing(target) {
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function setupKeys() {
  const script = document.currentScript;
  const searchUrl = script && script.dataset.search;
  if (!searchUrl) return;
  document.addEventListener("keydown", (event) => {
    const slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey;
    const ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k";
    if (!(slash || ctrlK) || typing(event.target) || event.defaultPrevented) return;
    event.preventDefault();
    const box = document.getElementById("search-query");
    if (box && !box.closest("[hidden]")) {
      box.focus();
      box.select();
    } else {
      window.location.href = searchUrl;
    }
  });
}

setupToggle();
setupKeys();
