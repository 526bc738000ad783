/**
 * The ledger: a node:http server on 127.0.0.1 that the chaos workers report their side effects
 * to. It is the outside world of the workload: what it recorded happened, whatever the browser
 * lost afterwards.
 *
 * - POST /effect    EffectBody   -> records it with a sequence number, answers { seq }
 * - POST /terminal  TerminalBody -> records one delivery of the terminal hook, answers { seq }
 * - POST /hook      HookBody     -> records one moment (start, beat, end) of a hook call
 * - POST /violation ViolationBody (a step saw a broken payload chain)
 * - POST /instance  InstanceBody (a worker instance started)
 * CORS: the worker runs on the dev server's origin (another port), so requests are
 * cross-origin; the preflight is answered for the allowed origin and cached.
 *
 * `goOffline()` makes the network fail for real: the server stops listening (connections are
 * refused) and every open connection is cut, keep-alive ones included (a browser would reuse
 * them). A request cut before its body was read is not recorded. `goOnline()` listens again on
 * the same port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EffectBody, EffectRecord, HookBody, HookRecord, InstanceBody, TerminalBody, TerminalRecord, ViolationBody } from './protocol.ts';

export interface LedgerOptions {
  port: number;
  /** The origin allowed by CORS (the dev server's). */
  allowOrigin: string;
}

export interface Ledger {
  readonly origin: string;
  readonly effects: readonly EffectRecord[];
  readonly terminals: readonly TerminalRecord[];
  readonly hooks: readonly HookRecord[];
  readonly violations: readonly ViolationBody[];
  readonly instances: readonly InstanceBody[];
  readonly online: boolean;
  /** Requests recorded, preflights, malformed requests, connections cut by going offline. */
  readonly counters: { requests: number; preflights: number; badRequests: number; cutConnections: number };
  /** Forgets every record and counter (a new phase). */
  reset(): void;
  goOffline(): Promise<void>;
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

export async function startLedger(options: LedgerOptions): Promise<Ledger> {
  let seq = 0;
  let effects: EffectRecord[] = [];
  let terminals: TerminalRecord[] = [];
  let hooks: HookRecord[] = [];
  let violations: ViolationBody[] = [];
  let instances: InstanceBody[] = [];
  const counters = { requests: 0, preflights: 0, badRequests: 0, cutConnections: 0 };
  let online = false;

  const cors = (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin === options.allowOrigin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
    }
  };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    cors(req, res);
    if (req.method === 'OPTIONS') {
      counters.preflights++;
      res.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        counters.badRequests++;
        return answer(res, 400, { error: 'not JSON' });
      }
      counters.requests++;
      const at = Date.now();
      const b = body as Record<string, unknown>;
      switch (req.url) {
        case '/effect': {
          if (typeof b['runId'] !== 'string' || typeof b['step'] !== 'number' || typeof b['attempt'] !== 'number') {
            counters.badRequests++;
            return answer(res, 400, { error: 'bad effect' });
          }
          const rec: EffectRecord = { ...(body as EffectBody), seq: ++seq, at };
          effects.push(rec);
          return answer(res, 200, { seq: rec.seq });
        }
        case '/terminal': {
          if (typeof b['runId'] !== 'string') {
            counters.badRequests++;
            return answer(res, 400, { error: 'bad terminal' });
          }
          const rec: TerminalRecord = { ...(body as TerminalBody), seq: ++seq, at };
          terminals.push(rec);
          return answer(res, 200, { seq: rec.seq });
        }
        case '/hook': {
          if (typeof b['runId'] !== 'string' || typeof b['call'] !== 'string' || typeof b['t'] !== 'number') {
            counters.badRequests++;
            return answer(res, 400, { error: 'bad hook record' });
          }
          hooks.push({ ...(body as HookBody), seq: ++seq, at });
          return answer(res, 200, {});
        }
        case '/violation':
          violations.push(body as ViolationBody);
          return answer(res, 200, {});
        case '/instance':
          instances.push(body as InstanceBody);
          return answer(res, 200, {});
        default:
          return answer(res, 404, { error: 'no such route' });
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(options.port, '127.0.0.1', () => {
        server.off('error', onError);
        online = true;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      online = false;
      server.close(() => resolve());
      counters.cutConnections += sockets.size;
      server.closeAllConnections();
    });

  await listen();
  return {
    origin: `http://127.0.0.1:${options.port}`,
    get effects() {
      return effects;
    },
    get terminals() {
      return terminals;
    },
    get hooks() {
      return hooks;
    },
    get violations() {
      return violations;
    },
    get instances() {
      return instances;
    },
    get online() {
      return online;
    },
    counters,
    reset() {
      effects = [];
      terminals = [];
      hooks = [];
      violations = [];
      instances = [];
      Object.assign(counters, { requests: 0, preflights: 0, badRequests: 0, cutConnections: 0 });
    },
    async goOffline() {
      if (!online) return;
      await stop();
    },
    async goOnline() {
      if (online) return;
      // The port was just released; a late TIME_WAIT never blocks a listening socket on Linux.
      await listen();
    },
    async close() {
      if (online) await stop();
    },
  };
}
