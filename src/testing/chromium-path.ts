/**
 * Where Chromium is and how to start it here. `CHROME_PATH` wins, so the same tests run on
 * machines whose browser lives elsewhere; the default is Debian's `chromium` package.
 */
export const DEFAULT_CHROME_PATH = '/usr/bin/chromium';

/** Flags for a sandboxed CI box with no network beyond loopback (see DEVELOPERS brief). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const fromEnv = typeof process !== 'undefined' ? process.env['CHROME_PATH'] : undefined;
  return fromEnv && fromEnv.length > 0 ? fromEnv : DEFAULT_CHROME_PATH;
}
