/**
 * A tiny HTTP server that a test's worker reports to: memo-independent evidence of what ran,
 * and when (e2e/fixtures/hardening.worker.ts). Node only.
 *
 * - `POST /` with a JSON body appends it to `records` (the worker stamps its own clock).
 * - `GET /gate?key=K` is held until the test calls `release(K)` (answered at once if it already
 *   did): a step parks there so the test decides when it returns. Arrivals are in `gated`.
 *
 * Requests come from a SharedWorker on another origin (the dev server's port), as `no-cors`
 * simple requests: no preflight, and the worker never reads the answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface LedgerRecord {
  kind: string;
  build: string;
  instance: string;
  /** The worker's Date.now() when it sent the record. */
  t: number;
  runId: string;
  step?: number;
  attempt?: number;
  status?: string;
}

export interface Ledger {
  /** The POST endpoint, for the worker's `ledger` parameter (with a trailing slash). */
  readonly url: string;
  readonly records: LedgerRecord[];
  /** Gate keys requested so far, in order (a key appears once per request). */
  readonly gated: string[];
  release(key: string): void;
  /** Polls until `done(records)` holds. @throws after `timeoutMs` */
  waitFor(done: (records: LedgerRecord[], gated: string[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLedger(port: number): Promise<Ledger> {
  const records: LedgerRecord[] = [];
  const gated: string[] = [];
  const released = new Set<string>();
  const held = new Map<string, ServerResponse[]>();
  const sockets = new Set<Socket>();
  const answer = (res: ServerResponse) => {
    res.writeHead(204, { 'access-control-allow-origin': '*' });
    res.end();
  };
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/gate') {
      const key = url.searchParams.get('key') ?? '';
      gated.push(key);
      if (released.has(key)) return answer(res);
      held.set(key, [...(held.get(key) ?? []), res]);
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      try {
        records.push(JSON.parse(body) as LedgerRecord);
      } catch {
        // not ours
      }
      answer(res);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    records,
    gated,
    release(key) {
      released.add(key);
      for (const res of held.get(key) ?? []) answer(res);
      held.delete(key);
    },
    async waitFor(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(records, gated)) {
        if (Date.now() > deadline) throw new Error(`ledger condition not met within ${timeoutMs} ms; ${records.length} records, gated ${JSON.stringify(gated)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
