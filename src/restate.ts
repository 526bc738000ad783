/**
 * `stepwise/restate` (Node >= 22): runs handed-off runs on a Restate server, with the same
 * workflow definitions the worker runs, and the `RemoteRuns` an app's gateway calls.
 * See docs/restate.md.
 */
export type { HandoffMemoEntry, HandoffState, RemoteEffect, RemoteRuns, RemoteStatus } from './restate/contract.ts';
export { restateServices, serveRestate, type RestateEndpoint, type RestateServicesOptions, type ServeRestateOptions } from './restate/services.ts';
export { restateRuns, type RestateRunsOptions } from './restate/runs.ts';
export { runKey, RUN_SERVICE, DATA_SERVICE } from './restate/keys.ts';
// The gateway: the app's authenticated HTTP endpoint between browsers and their remote runs.
export { createGateway, type GatewayHandler, type GatewayOptions } from './restate/gateway.ts';
export { nodeHandler } from './restate/gateway-node.ts';
