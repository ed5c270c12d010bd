/* The new-race form: its time zone starts as the organiser's own (the browser's), when
 * the server knows that zone; the server's default (UTC) stays otherwise. */

import { browserTimeZone } from "./format.js";

const select = document.querySelector("select[data-browser-zone]");
const zone = browserTimeZone();
if (select && zone && [...select.options].some((option) => option.value === zone)) {
  select.value = zone;
}
