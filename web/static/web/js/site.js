/* Small progressive enhancements of every page; every page works without JavaScript.
 * - [data-copy="#selector"] buttons copy the value or text of the target.
 * - Read-only inputs select their whole value on focus (a token is easy to copy by hand).
 * - Forms with data-confirm="question" ask before they post (remove a racer, close a race).
 * - [data-width-pct="42.5"] bars get that width and [data-speed-gradient] legends their
 *   gradient: the Content-Security-Policy refuses style="" attributes in the markup, not
 *   styles set from a script.
 * - <details data-close-narrow="(media query)"> start closed where the query matches (the
 *   guide's contents: open beside the text on a wide screen, one tap away on a phone).
 * Live updates are web/js/live/main.js, loaded by the pages that have them. */

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  return new Promise((resolve, reject) => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen-copy";
    document.body.appendChild(area);
    area.select();
    try {
      if (document.execCommand("copy")) resolve();
      else reject(new Error("copy refused"));
    } catch (err) {
      reject(err);
    } finally {
      area.remove();
    }
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const target = document.querySelector(button.getAttribute("data-copy"));
  if (!target) return;
  const text = "value" in target ? target.value : target.textContent;
  const label = button.textContent;
  copyText(text.trim()).then(
    () => {
      button.textContent = "Copied ✓";
      button.classList.add("copied");
      setTimeout(() => {
        button.textContent = label;
        button.classList.remove("copied");
      }, 1600);
    },
    () => {
      if (target.select) target.select();
      button.textContent = "Press Ctrl+C";
      setTimeout(() => { button.textContent = label; }, 2000);
    },
  );
});

document.querySelectorAll("input[readonly]").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

document.querySelectorAll("[data-width-pct]").forEach((bar) => {
  const pct = Number.parseFloat(bar.dataset.widthPct);
  if (Number.isFinite(pct)) bar.style.width = `${Math.min(100, Math.max(0, pct))}%`;
});

document.querySelectorAll("[data-speed-gradient]").forEach((legend) => {
  legend.style.setProperty("--speed-gradient", legend.dataset.speedGradient);
});

document.querySelectorAll("details[data-close-narrow]").forEach((details) => {
  if (window.matchMedia(details.dataset.closeNarrow).matches) details.open = false;
});
