/**
 * A line of a ctm_smail/ctm_dequeue/ctm_rmail log file (-l): `YYYY-MM-DD HH:MM message`, in local time, as the
 * originals write it.
 * @example
 * logFileLine(new Date(2026, 0, 2, 3, 4), 'src-cur.0042.gz complete'); // '2026-01-02 03:04 src-cur.0042.gz complete'
 */
export function logFileLine(time: Date, message: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${time.getFullYear()}-${p(time.getMonth() + 1)}-${p(time.getDate())} ${p(time.getHours())}:${p(time.getMinutes())} ${message}`;
}
