/**
 * The hand-off code the core loads on demand (handoff-check.ts `handoffCode`): one module, so
 * one chunk. Only handoff-check.ts imports it, and only with `import()`.
 */
export { handoff } from './handoff.ts';
export { forwardCancel, forwardEvent } from './remote-forward.ts';
export { RemotePoller } from './remote-poller.ts';
