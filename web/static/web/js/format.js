/* How the pages print figures: the one formatting module of every page's scripts.
 *
 * Race times and gaps mirror simulator/formatting.py (`format_race_time`, `format_gap`,
 * `NO_TIME`) to the character, and percentages, relative times, wall-clock times in a
 * time zone and countdowns mirror the template filters of web/templatetags/league_web.py
 * (`percent`, `percent_num`, `ago`, `zoned`, `countdown`), so that a row drawn by a
 * script reads like the row the server renders; tests/browser/test_format.py
 * proves they agree. Python rounds exact halves to even where JavaScript's Math.round and
 * toFixed round them up: `roundHalfEven` and `fixed` do as Python does. The league's
 * dates are in UTC (settings.TIME_ZONE).
 */

export const NO_TIME = "—"; // what a missing time reads as, everywhere

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Python's float(value), or null where it raises (None, "", "abc", objects). */
export function toFloat(value) {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return Number(value);
  if (typeof value !== "string" || value.trim() === "") return null;
  const number = Number(value);
  return Number.isNaN(number) && value.trim().toLowerCase() !== "nan" ? null : number;
}

/** Python's round(x) to an integer: the nearest one, exact halves to the even one. */
export function roundHalfEven(x) {
  const r = Math.round(x); // halves go up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's f"{x:.{digits}f}": toFixed, with exact halves to even ("nan", "inf" as Python). */
export function fixed(x, digits) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const text = Math.abs(x).toFixed(digits); // exact halves go up
  if (Math.abs(x) >= 1e21) return sign + text;
  const exact = Math.abs(x).toFixed(100); // every digit of the double (it has fewer)
  const cut = exact.indexOf(".") + 1 + digits;
  const half = exact[cut] === "5" && /^0*$/.test(exact.slice(cut + 1));
  const kept = exact.slice(0, digits ? cut : cut - 1);
  return sign + (half && Number(kept[kept.length - 1]) % 2 === 0 ? kept : text);
}

function pad(n, width) {
  return String(n).padStart(width, "0");
}

function clockParts(value) {
  const millis = roundHalfEven(Math.abs(value) * 1000);
  return {
    sign: value < 0 ? "-" : "",
    hours: Math.floor(millis / 3600000),
    minutes: Math.floor((millis % 3600000) / 60000),
    secs: Math.floor((millis % 60000) / 1000),
    ms: pad(millis % 1000, 3),
  };
}

/** 67.3421 -> "1:07.342", 7.3 -> "7.300", 3725 -> "1:02:05.000"; null, NaN, ±Infinity -> "—". */
export function formatRaceTime(value) {
  const s = toFloat(value);
  if (s === null || !Number.isFinite(s)) return NO_TIME;
  const { sign, hours, minutes, secs, ms } = clockParts(s);
  if (hours) return `${sign}${hours}:${pad(minutes, 2)}:${pad(secs, 2)}.${ms}`;
  if (minutes) return `${sign}${minutes}:${pad(secs, 2)}.${ms}`;
  return `${sign}${secs}.${ms}`;
}

/** A gap to the leader: "+0.518", "+1:02.000", a tie "+0.000" (also one that rounds to it
 * from below); ahead of the leader (a live run against the leader's pace) "-0.008"; no gap
 * (the leader's own row: null) -> "—". */
export function formatGap(value) {
  const time = formatRaceTime(value);
  if (time === NO_TIME) return NO_TIME;
  if (time.startsWith("-") && /[1-9]/.test(time)) return time;
  return "+" + time.replace(/^-/, "");
}

/** A running clock, minutes always shown so that it keeps its width: 8.067 -> "0:08.067". */
export function formatClock(value) {
  const s = toFloat(value);
  if (s === null || !Number.isFinite(s)) return NO_TIME;
  const { hours, minutes, secs, ms } = clockParts(Math.max(0, s));
  return `${hours ? hours + ":" + pad(minutes, 2) : minutes}:${pad(secs, 2)}.${ms}`;
}

/** A signed difference of times, "+0.421" or "−0.310" (a minus sign, not a hyphen). */
export function formatDelta(value, digits = 3) {
  const s = toFloat(value);
  if (s === null || !Number.isFinite(s)) return NO_TIME;
  return (s < 0 ? "−" : "+") + fixed(Math.abs(s), digits);
}

/** 0.734 -> "73%" (the `percent` filter). */
export function formatPercent(value) {
  const v = toFloat(value);
  return v === null ? NO_TIME : fixed(v * 100, 0) + "%";
}

/** 0.734 -> "73.4", clipped to 0..100 (the `percent_num` filter, for style widths). */
export function percentWidth(value) {
  const v = toFloat(value);
  if (v === null) return "0";
  const high = v < 1 ? v : 1; // min() and max() as Python's, NaN included
  return fixed((high > 0 ? high : 0) * 100, 1);
}

function day(date) {
  return `${pad(date.getUTCDate(), 2)} ${MONTHS[date.getUTCMonth()]}`;
}

function hhmm(date) {
  return `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}`;
}

function parseDate(iso) {
  const when = iso ? new Date(iso) : null;
  return when && !Number.isNaN(when.getTime()) ? when : null;
}

/** An ISO 8601 time as the pages' titles print it: "25 Nov 2026 17:40 UTC". */
export function formatDateTime(iso) {
  const when = parseDate(iso);
  return when ? `${day(when)} ${when.getUTCFullYear()} ${hhmm(when)} UTC` : "";
}

/** A short relative time (the `ago` filter): "just now", "5 min ago", "3 h ago", "2 d ago", or a date. */
export function formatAgo(iso, now = Date.now()) {
  const when = parseDate(iso);
  if (!when) return "";
  const secs = Math.trunc((now - when.getTime()) / 1000);
  if (secs < 0) return `${day(when)} ${hhmm(when)}`;
  if (secs < 45) return "just now";
  if (secs < 3600) return `${Math.max(1, roundHalfEven(secs / 60))} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  if (secs < 7 * 86400) return `${Math.floor(secs / 86400)} d ago`;
  const year = when.getUTCFullYear();
  return year === new Date(now).getUTCFullYear() ? day(when) : `${day(when)} ${year}`;
}

/** The time zone of the browser (an IANA name), or "" where it has none to tell. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

/** An ISO 8601 time on the wall clock of an IANA zone (the `zoned` filter):
 * "Wed 26 Nov 2026, 09:00". */
export function formatZoned(iso, timeZone) {
  const when = parseDate(iso);
  if (!when) return "";
  const parts = {};
  const numeric = { year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" };
  for (const { type, value } of new Intl.DateTimeFormat("en-US", { ...numeric, hourCycle: "h23", timeZone })
    .formatToParts(when)) parts[type] = Number(value);
  // The weekday of that wall-clock date (any zone's calendar agrees on it).
  const weekday = WEEKDAYS[new Date(Date.UTC(parts.year, parts.month - 1, parts.day)).getUTCDay()];
  return `${weekday} ${parts.day} ${MONTHS[parts.month - 1]} ${parts.year}, ${pad(parts.hour, 2)}:${pad(parts.minute, 2)}`;
}

/** Time left, whole seconds rounded up (the `countdown` filter): "2 d 04 h",
 * "3 h 07 min", "5 min 09 s"; "now" once it is up; "" for no number. */
export function formatCountdown(seconds) {
  const s = toFloat(seconds);
  if (s === null || !Number.isFinite(s)) return "";
  const left = Math.ceil(s);
  if (left <= 0) return "now";
  const days = Math.floor(left / 86400);
  const hours = Math.floor((left % 86400) / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  if (days) return `${days} d ${pad(hours, 2)} h`;
  if (hours) return `${hours} h ${pad(minutes, 2)} min`;
  return `${minutes} min ${pad(left % 60, 2)} s`;
}
