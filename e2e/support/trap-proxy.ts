/**
 * A trap proxy: proof that nothing a browser does reaches past 127.0.0.1. Start Chromium with
 * `--proxy-server=<trap.url>`; Chromium never proxies loopback, so requests to the test server
 * go straight to it, and every other request, from any context (a page, a dedicated worker, a
 * SharedWorker, which Playwright cannot observe), lands here. The trap records its host and
 * refuses it (403, or a refused CONNECT for https), so nothing is forwarded anywhere.
 *
 * Chromium contacts a few Google hosts on its own, even on about:blank with background
 * networking disabled; `CHROMIUM_BACKGROUND_HOSTS` names them so a test can tell them apart from
 * what the page or a worker asked for. They are refused like everything else.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export const CHROMIUM_BACKGROUND_HOSTS: readonly string[] = [
  'update.googleapis.com',
  'accounts.google.com',
  'clients2.google.com',
  'optimizationguide-pa.googleapis.com',
  'content-autofill.googleapis.com',
];

export interface TrapProxy {
  /** For `--proxy-server=`: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request seen, as `host` (or `host:port` for CONNECT), in arrival order. */
  readonly hosts: string[];
  /** `hosts` without Chromium's own background hosts: what the app would have sent out. */
  appHosts(): string[];
  close(): Promise<void>;
}

export async function startTrapProxy(port: number): Promise<TrapProxy> {
  const hosts: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res) => {
    hosts.push(hostOf(req.url ?? '', req.headers.host));
    res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
    res.end('blocked by the stepwise trap proxy: tests must not reach beyond 127.0.0.1\n');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    hosts.push((req.url ?? '').replace(/:443$/, ''));
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    hosts,
    appHosts: () => hosts.filter((h) => !CHROMIUM_BACKGROUND_HOSTS.includes(h.replace(/:\d+$/, ''))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function hostOf(url: string, hostHeader: string | undefined): string {
  try {
    return new URL(url).host;
  } catch {
    return hostHeader ?? url;
  }
}
