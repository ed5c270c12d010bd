/* The garage's forms.
 *
 * Upload: sent in the background, so that when the server refuses the package the page
 * shows its messages and the files stay chosen (a browser never re-fills a file input
 * from a page it reloads). Without this script the form posts as usual.
 * The two files in each other's field (a .json as model.onnx and an .onnx as
 * model_metadata.json) get a note and a button that swaps them; the server says so too.
 * Delete: asks first ([data-confirm]).
 */

const UPLOAD = "form.upload-form";

function fileOf(form, name) {
  const input = form.querySelector(`input[type=file][name="${name}"]`);
  return input && input.files && input.files.length ? input.files[0] : null;
}

function looksSwapped(form) {
  const onnx = fileOf(form, "onnx");
  const meta = fileOf(form, "metadata");
  return Boolean(onnx && meta && /\.json$/i.test(onnx.name) && /\.onnx$/i.test(meta.name));
}

function swapFiles(form) {
  const onnxInput = form.querySelector('input[type=file][name="onnx"]');
  const metaInput = form.querySelector('input[type=file][name="metadata"]');
  const onnx = new DataTransfer();
  const meta = new DataTransfer();
  onnx.items.add(metaInput.files[0]);
  meta.items.add(onnxInput.files[0]);
  onnxInput.files = onnx.files;
  metaInput.files = meta.files;
}

function showSwapNote(form) {
  let note = form.querySelector("[data-swap-note]");
  if (!looksSwapped(form)) {
    if (note) note.remove();
    return;
  }
  if (note) return;
  note = document.createElement("div");
  note.className = "swap-note";
  note.dataset.swapNote = "";
  note.setAttribute("role", "alert");
  const text = document.createElement("p");
  text.textContent = "These two look swapped: model.onnx got a .json file and model_metadata.json an .onnx file.";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-ghost btn-sm";
  button.textContent = "Swap them";
  button.addEventListener("click", () => {
    swapFiles(form);
    showSwapNote(form);
  });
  note.append(text, button);
  form.querySelector('input[type=file][name="metadata"]').closest(".field").after(note);
}

/** The form of the page the server answered with, holding the files chosen here. */
function formWithOurFiles(form, html) {
  const answer = new DOMParser().parseFromString(html, "text/html").querySelector(UPLOAD);
  if (!answer) return null;
  const fresh = document.importNode(answer, true);
  form.querySelectorAll("input[type=file]").forEach((input) => {
    const twin = fresh.querySelector(`input[type=file][name="${input.name}"]`);
    if (twin) twin.replaceWith(input); // the element itself: its files come with it
  });
  return fresh;
}

async function upload(event) {
  const form = event.currentTarget;
  const chosen = [...form.querySelectorAll("input[type=file]")].some((input) => input.files.length);
  if (!chosen) return; // nothing to keep: the plain post does
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Checking…";
  form.setAttribute("aria-busy", "true");
  let response;
  try {
    // "manual": a success is a redirect whose page shows the message once, so the
    // browser goes there itself instead of this script reading it away.
    response = await fetch(form.action || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual",
    });
  } catch {
    button.disabled = false;
    button.textContent = label;
    form.removeAttribute("aria-busy");
    form.submit(); // the network failed us: let the browser try the plain way
    return;
  }
  if (response.type === "opaqueredirect" || response.redirected) {
    // A fresh load of the garage (its message, the new row): a URL that differs from this
    // page's only after "#" would merely scroll, hence the query.
    const done = new URL(form.dataset.doneUrl || window.location.href, window.location.href);
    done.searchParams.set("uploaded", String(Date.now()));
    window.location.assign(done.href);
    return;
  }
  const fresh = formWithOurFiles(form, await response.text());
  if (!fresh) {
    form.removeEventListener("submit", upload);
    form.submit();
    return;
  }
  form.replaceWith(fresh);
  wireUpload(fresh);
  const problem = fresh.querySelector(".form-errors, .has-error");
  if (problem) problem.scrollIntoView({ block: "center" });
}

function wireUpload(form) {
  form.addEventListener("submit", upload);
  form.addEventListener("change", () => showSwapNote(form));
  showSwapNote(form);
}

const uploadForm = document.querySelector(UPLOAD);
if (uploadForm) wireUpload(uploadForm);

document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
