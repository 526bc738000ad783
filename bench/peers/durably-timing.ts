/** What durably's docs configure for the browser (github.com/coji/durably, docs/llms.md "Browser Usage"), in ms. */
export const DOCS_BROWSER_TIMING = { pollingIntervalMs: 100, leaseRenewIntervalMs: 500, leaseMs: 3000 };
