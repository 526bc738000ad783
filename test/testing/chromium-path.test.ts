/** `stepwise/testing` finds Chromium on any machine, or says how to point it at one. */
import { describe, expect, it } from 'vitest';
import { chromiumPath, findChromium } from '../../src/testing/chromium-path.ts';

const only = (...present: string[]) => (p: string) => present.includes(p);
const noPlaywright = () => undefined;

describe('chromiumPath', () => {
  it('prefers CHROME_PATH over every other place', () => {
    const path = chromiumPath({ env: { CHROME_PATH: '/opt/my/chrome' }, platform: 'linux', exists: only('/usr/bin/chromium'), playwrightPath: () => '/pw/chrome' });
    expect(path).toBe('/opt/my/chrome');
  });

  it("uses the browser playwright-core installed for itself when it is on disk", () => {
    expect(chromiumPath({ env: {}, platform: 'linux', exists: only('/pw/chrome', '/usr/bin/chromium'), playwrightPath: () => '/pw/chrome' })).toBe('/pw/chrome');
    expect(chromiumPath({ env: {}, platform: 'linux', exists: only('/usr/bin/chromium'), playwrightPath: () => '/pw/chrome' })).toBe('/usr/bin/chromium');
  });

  it('falls back to the usual install paths of Linux, macOS and Windows', () => {
    expect(chromiumPath({ env: {}, platform: 'linux', exists: only('/usr/bin/google-chrome'), playwrightPath: noPlaywright })).toBe('/usr/bin/google-chrome');
    const mac = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    expect(chromiumPath({ env: {}, platform: 'darwin', exists: only(mac), playwrightPath: noPlaywright })).toBe(mac);
    const win = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
    expect(chromiumPath({ env: {}, platform: 'win32', exists: only(win), playwrightPath: noPlaywright })).toBe(win);
  });

  it('fails naming CHROME_PATH when no Chromium is found', () => {
    const lookup = { env: {}, platform: 'linux', exists: only(), playwrightPath: noPlaywright };
    expect(findChromium(lookup)).toBeUndefined();
    expect(() => chromiumPath(lookup)).toThrow(/set CHROME_PATH/);
  });
});
