/**
 * One live connection to a worker instance: the comlink proxy, the worker's hello, and a
 * `dead` promise that settles when that instance is gone. Death is learned from a Web Lock:
 * the worker holds its alive lock for life, the page queues on it and is granted it the moment
 * the worker dies (a crashed creator tab gives no port event at all: PLATFORM.md G4).
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { WorkflowError } from '../core/errors.ts';
import { PROTOCOL_VERSION, names, type HelloOutcome, type WorkerApi } from '../rpc/protocol.ts';

export interface ConnectionOptions {
  url: string | URL;
  db: string;
  extendedLifetime: boolean;
  type: WorkerType;
  /** How long the worker may take to answer its first call. */
  helloTimeoutMs: number;
}

export interface Connection {
  api: Remote<WorkerApi>;
  hello: HelloOutcome;
  /** Resolves when the worker behind this connection is gone. */
  dead: Promise<void>;
  close(): void;
}

export async function openConnection(o: ConnectionOptions): Promise<Connection> {
  let markDead!: () => void;
  const dead = new Promise<void>((r) => (markDead = r));
  let endpoint: MessagePort | Worker;
  let terminate: () => void;
  if (typeof SharedWorker !== 'undefined') {
    const options = { type: o.type, name: names.worker(o.db, o.extendedLifetime), extendedLifetime: o.extendedLifetime } as WorkerOptions;
    const w = new SharedWorker(o.url, options);
    w.addEventListener('error', () => markDead());
    endpoint = w.port;
    terminate = () => w.port.close();
  } else {
    const w = new Worker(o.url, { type: o.type, name: names.worker(o.db, false) });
    w.addEventListener('error', () => markDead());
    endpoint = w;
    terminate = () => w.terminate();
  }
  const api = wrap<WorkerApi>(endpoint);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hello = await Promise.race([
    api.hello(),
    dead.then(() => Promise.reject(unavailable('the worker failed to start'))),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(unavailable(`the worker did not answer within ${o.helloTimeoutMs} ms`)), o.helloTimeoutMs))),
  ]).finally(() => clearTimeout(timer));
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new WorkflowError('InvalidState', `the worker speaks protocol ${hello.protocol}, this page ${PROTOCOL_VERSION}: reload the page`);
  }
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  // Granted only once the worker (the holder) is gone; released at once.
  void locks?.request(hello.aliveLock, () => markDead());
  return {
    api,
    hello,
    dead,
    close() {
      markDead();
      api[releaseProxy]();
      terminate();
    },
  };
}

export function unavailable(why: string): WorkflowError {
  return new WorkflowError('Unavailable', `the Stepwise worker is unavailable: ${why}; retry the call`);
}
