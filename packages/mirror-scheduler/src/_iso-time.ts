// Formats epoch ms as ISO 8601 to the second. A status page of 10,000 jobs formats ~150,000 times; Date's own
// formatting is a few µs each, so the date part is cached per day and the time of day is done by arithmetic.

const DAY_MS = 86_400_000;
const days = new Map<number, string>();
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `2026-11-28T09:05:00Z`; with `separator` ' ', `2026-11-28 09:05:00Z`. */
export function isoSeconds(ms: number, separator = 'T'): string {
  const day = Math.floor(ms / DAY_MS);
  let date = days.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (days.size > 4096) days.clear();
    days.set(day, date);
  }
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  return `${date}${separator}${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}Z`;
}
