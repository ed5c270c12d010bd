/* Parts of this page rendered again by the server: fetches the page once for every part
 * asked for within a moment, and swaps each part in place. Used where markup appears
 * that a message does not carry (a board's first rows, a submission's status and result)
 * on pages that few people follow at once. */

const BATCH_MS = 150;

let queue = new Map(); // selector -> [resolve, ...]
let timer = null;

async function flush() {
  const batch = queue;
  queue = new Map();
  timer = null;
  let doc = null;
  try {
    const response = await fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "live" } });
    if (response.ok) doc = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch (err) {
    // The next message tries again.
  }
  batch.forEach((waiting, selector) => {
    const fresh = doc && doc.querySelector(selector);
    const current = document.querySelector(selector);
    let swapped = null;
    if (fresh && current) {
      swapped = document.importNode(fresh, true);
      current.replaceWith(swapped);
    }
    waiting.forEach((resolve) => resolve(swapped));
  });
}

/** Renders `selector` again from the server; resolves to the new element (null if none). */
export function refreshFragment(selector) {
  return new Promise((resolve) => {
    if (!queue.has(selector)) queue.set(selector, []);
    queue.get(selector).push(resolve);
    if (!timer) timer = setTimeout(flush, BATCH_MS);
  });
}
