/**
 * Serves a fetch-style gateway handler on node:http (or as a route of an existing node:http or
 * Express-like server): `http.createServer(nodeHandler(createGateway({ … })))`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayHandler } from './gateway.ts';

/**
 * Adapts `handler` to node:http's `(req, res)`. The request's URL is built from its `Host`
 * header (the gateway reads only its path and query). A handler that throws answers 500.
 */
export function nodeHandler(handler: GatewayHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      try {
        const chunks: Buffer[] = [];
        const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
        if (hasBody) for await (const c of req) chunks.push(c as Buffer);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          if (v === undefined) continue;
          for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
        }
        const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers,
          ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
        });
        const response = await handler(request);
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      } catch {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Internal', message: 'the gateway failed: try again later' }));
      }
    })();
  };
}
