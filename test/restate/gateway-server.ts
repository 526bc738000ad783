/**
 * A real node:http server on 127.0.0.1 serving `createGateway` over a `RemoteRuns`, with a
 * cookie-based `authenticate` (`user=<name>`: the owner; no cookie: 401), for the gateway and
 * hand-off tests. `startGatewayServer` picks a free port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RemoteRuns } from '../../src/restate/contract.ts';
import { createGateway, type GatewayOptions } from '../../src/restate/gateway.ts';
import { nodeHandler } from '../../src/restate/gateway-node.ts';

export interface GatewayServer {
  /** The gateway's base URL (with the base path). */
  url: string;
  close(): Promise<void>;
}

/** The owner named by a `user=<name>` cookie, if any. */
export async function cookieOwner(request: Request): Promise<string | undefined> {
  const m = /(?:^|;\s*)user=([A-Za-z0-9_-]+)/.exec(request.headers.get('cookie') ?? '');
  return m?.[1];
}

export async function startGatewayServer(runs: RemoteRuns, options: Partial<GatewayOptions> = {}): Promise<GatewayServer> {
  const basePath = options.basePath ?? '/gw';
  const handler = createGateway({ runs, authenticate: cookieOwner, ...options, basePath });
  const server = createServer(nodeHandler(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `fetch` that sends the cookie of `user`, as a signed-in browser would. */
export function fetchAs(user: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('cookie', `user=${user}`);
    return fetch(input, { ...init, headers });
  };
}
