// Loaded in <head> without defer: applies the reader's light/dark choice (kept by
// site.js in localStorage) before the first paint, so a dark page never flashes white.
try {
  const choice = localStorage.getItem("sitegen-theme");
  if (choice === "light" || choice === "dark") document.documentElement.dataset.theme = choice;
} catch (error) { /* storage blocked: follow the system */ }
