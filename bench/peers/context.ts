/** What a measuring context is: cross-origin isolated or not, and how fine its clock is. */
import type { ContextInfo } from './protocol.ts';

/** Smallest non-zero step of `performance.now()` seen in 20 ms of spinning, in ms. */
function timerStep(): number {
  let step = Infinity;
  let last = performance.now();
  const until = last + 20;
  while (last < until) {
    const t = performance.now();
    if (t > last) {
      step = Math.min(step, t - last);
      last = t;
    }
  }
  return Math.round(step * 1e6) / 1e6;
}

export function contextInfo(): ContextInfo {
  return { crossOriginIsolated: globalThis.crossOriginIsolated, timerStepMs: timerStep() };
}
