/** Page side of the workbox cells: registers bench/peers/workbox-sw.ts and asks it to measure. */
import type { HelloResult, LoopCommand, LoopResult } from './protocol.ts';

type SwCommand = { kind: 'hello' } | LoopCommand;
type SwReply = { ok: true; result: unknown } | { ok: false; error: string };

let active: Promise<ServiceWorker> | undefined;

async function register(): Promise<ServiceWorker> {
  const url = new URL('./workbox-sw.ts', import.meta.url);
  // The scope is the script's folder (computed at run time: Vite would rewrite a literal `new URL('./', import.meta.url)`).
  await navigator.serviceWorker.register(url, { type: 'module', scope: url.pathname.replace(/[^/]*$/, '') });
  const reg = await navigator.serviceWorker.ready;
  if (!reg.active) throw new Error('the workbox service worker did not activate');
  return reg.active;
}

async function ask<T>(cmd: SwCommand): Promise<T> {
  const sw = await (active ??= register());
  const channel = new MessageChannel();
  const reply = new Promise<SwReply>((resolve) => {
    channel.port1.onmessage = (e: MessageEvent<SwReply>) => resolve(e.data);
  });
  sw.postMessage(cmd, [channel.port2]);
  const r = await reply;
  channel.port1.close();
  if (!r.ok) throw new Error(r.error);
  return r.result as T;
}

export const serviceWorkerHello = (): Promise<HelloResult['serviceWorker']> => ask({ kind: 'hello' });
export const workboxCell = (cmd: LoopCommand): Promise<LoopResult> => ask(cmd);
