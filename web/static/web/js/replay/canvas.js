/* Canvases drawn at the screen's pixel density. */

/** Sizes `canvas` to its CSS width and `heightFor(width)` CSS pixels (times the device
 * pixel ratio in backing pixels): {w, h, dpr}. */
export function fitCanvas(canvas, heightFor) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.parentNode.clientWidth || 300;
  const h = heightFor(w);
  canvas.style.height = h + "px";
  const W = Math.round(w * dpr), H = Math.round(h * dpr);
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W;
    canvas.height = H;
  }
  return { w, h, dpr };
}
