/**
 * Where Chromium is, and the flags it starts with here, for the test helpers of
 * `stepwise/testing` (and this repository's own browser tests). Looked up in this order:
 * 1. `CHROME_PATH`, when set: the machine's owner knows best;
 * 2. the browser `playwright-core` installed for itself (`npx playwright install chromium`),
 *    when `playwright-core` is installed and that browser is on disk;
 * 3. the usual install paths of Chromium and Google Chrome on Linux, macOS and Windows.
 * Nothing is downloaded. Runs in Node only.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Flags for a sandboxed CI box with no network beyond loopback. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where to look, and how, for `findChromium` (injectable for tests). */
export interface ChromiumLookup {
  env?: Record<string, string | undefined>;
  platform?: string;
  exists?: (path: string) => boolean;
  /** The path `playwright-core` would launch, if it is installed. */
  playwrightPath?: () => string | undefined;
}

/** The usual install paths of Chromium and Google Chrome on `platform` (Node's `process.platform`). */
export function commonChromiumPaths(platform: string, env: Record<string, string | undefined> = {}): string[] {
  if (platform === 'darwin') {
    return [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      `${env['HOME'] ?? ''}/Applications/Chromium.app/Contents/MacOS/Chromium`,
      `${env['HOME'] ?? ''}/Applications/Google Chrome.app/Contents/MacOS/Google Chrome`,
    ];
  }
  if (platform === 'win32') {
    const roots = [env['LOCALAPPDATA'], env['PROGRAMFILES'] ?? 'C:\\Program Files', env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'];
    return roots.filter((r): r is string => r !== undefined).flatMap((r) => [`${r}\\Chromium\\Application\\chrome.exe`, `${r}\\Google\\Chrome\\Application\\chrome.exe`]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome'];
}

/** Chromium's path by the lookup order above, or undefined when none is found. */
export function findChromium(lookup: ChromiumLookup = {}): string | undefined {
  const env = lookup.env ?? process.env;
  const exists = lookup.exists ?? existsSync;
  const fromEnv = env['CHROME_PATH'];
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  const bundled = (lookup.playwrightPath ?? playwrightChromium)();
  if (bundled !== undefined && exists(bundled)) return bundled;
  return commonChromiumPaths(lookup.platform ?? process.platform, env).find((p) => exists(p));
}

/**
 * Chromium's path by the lookup order above.
 * @throws Error naming `CHROME_PATH` and the paths looked at, when none is found
 */
export function chromiumPath(lookup: ChromiumLookup = {}): string {
  const found = findChromium(lookup);
  if (found !== undefined) return found;
  const looked = commonChromiumPaths(lookup.platform ?? process.platform, lookup.env ?? process.env);
  throw new Error(
    `no Chromium found: set CHROME_PATH to a Chromium or Google Chrome executable, or run \`npx playwright install chromium\` (looked at ${looked.join(', ')})`,
  );
}

/** The executable `playwright-core` launches by default, if it is installed (an optional peer). */
function playwrightChromium(): string | undefined {
  try {
    const pw = createRequire(import.meta.url)('playwright-core') as { chromium?: { executablePath(): string } };
    return pw.chromium?.executablePath();
  } catch {
    return undefined;
  }
}
