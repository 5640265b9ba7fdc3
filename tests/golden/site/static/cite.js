// Copy buttons for citation text. Without JavaScript the buttons stay hidden
// and the BibTeX entry is still shown as selectable text with a download link.

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copyText(element) {
  const text = element.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  selectText(element);
  if (!document.execCommand("copy")) throw new Error("copy refused");
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) continue;
  const status = button.parentElement.querySelector(".copy-status");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await copyText(source);
      if (status) status.textContent = "Copied.";
    } catch (error) {
      selectText(source);
      if (status) status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected text.";
    }
  });
}
