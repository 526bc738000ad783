/** What a measuring context is: cross-origin isolated or not, and how fine its clock is. */
import { timerStepMs } from '../stats.ts';
import type { ContextInfo } from './protocol.ts';

export function contextInfo(): ContextInfo {
  return { crossOriginIsolated: globalThis.crossOriginIsolated, timerStepMs: timerStepMs() };
}
