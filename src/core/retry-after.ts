/**
 * HTTP `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as ms from now. Shared by
 * the webhook hook and the LLM runner; a value that is neither gives `undefined` (use the
 * retry policy's own backoff).
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
