/**
 * The faults of the chaos workload (Node): what each kind does to the browser, its tabs and the
 * network, the deck of each phase mode, and the loop that deals them at random instants.
 * Kinds specific to one mode (the deploy phase's) are given by that mode as `extra` actions.
 */
import type { Ledger } from './ledger.ts';
import type { Tab, TabSpec, Tabs } from './tabs.ts';
import { Deck, message, pollUntil, pollValue, sleep, withTimeout, type Rng } from './util.ts';

export type PhaseMode = 'shared' | 'fallback' | 'mixed' | 'deploy' | 'slowHook';

export const FAULT_KINDS = [
  'reload',
  'closeAllReopen',
  'crashCreator',
  'crashTab',
  'sigkillRelaunch',
  'secondTab',
  'closeTab',
  'offline',
  'killExecutorTab',
  'deploy',
  'closeBuild',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each kind does, for the printed table. */
export const FAULT_LABELS: Record<FaultKind, string> = {
  reload: 'reload a tab',
  closeAllReopen: 'close all tabs, reopen one (deploy: one per build)',
  crashCreator: "crash the worker's creator tab (worker died)",
  crashTab: 'crash a tab that was not the creator (worker survived)',
  sigkillRelaunch: 'SIGKILL the browser, relaunch on the same profile',
  secondTab: 'open another tab (deploy: of either build)',
  closeTab: 'close a tab (to open another, at most 3; deploy 4)',
  offline: 'offline: ledger stopped + simulated navigator.onLine false',
  killExecutorTab: "kill the executor's tab (fallback: close or crash)",
  deploy: 'deploy: open the first tab of the new build beside the old one',
  closeBuild: "close every tab of one build (its worker dies mid-run), reopen one later",
};

/** The deck of each mode: a kind appears as often as its weight (weight 0: in the first pass only). */
export const DECKS: Record<PhaseMode, Partial<Record<FaultKind, number>>> = {
  shared: { reload: 3, closeAllReopen: 2, crashCreator: 2, sigkillRelaunch: 1, secondTab: 2, offline: 2 },
  fallback: { killExecutorTab: 3, reload: 2, secondTab: 2, offline: 1, sigkillRelaunch: 1, closeAllReopen: 1 },
  mixed: { reload: 3, closeAllReopen: 2, crashCreator: 2, sigkillRelaunch: 1, secondTab: 2, offline: 1 },
  deploy: { deploy: 0, closeBuild: 3, reload: 2, secondTab: 2, crashCreator: 1, sigkillRelaunch: 1, closeAllReopen: 1 },
  slowHook: { reload: 2, crashCreator: 2, secondTab: 1, closeAllReopen: 1, sigkillRelaunch: 1 },
};

export interface FaultsOptions {
  mode: PhaseMode;
  tabs: Tabs;
  ledger: Ledger;
  rng: Rng;
  /** Pause between two faults, ms. */
  gapMs: [number, number];
  offlineMs: [number, number];
  maxTabs: number;
  /** The tab a fault opens (a build, extendedLifetime, …). */
  newTab: () => TabSpec;
  /** Dealt first, before the shuffled first pass. */
  first?: FaultKind;
  /** Only these kinds of the mode's deck. @default all of them */
  only?: readonly FaultKind[];
  /** Actions of kinds this class does not implement (each resolves with what it did, for the log). */
  extra?: (faults: Faults) => Partial<Record<FaultKind, () => Promise<string>>>;
  say(line: string): void;
}

export class Faults {
  readonly #o: FaultsOptions;
  readonly counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  readonly errors: string[];
  /** What the simulated network should say (re-asserted after a relaunch: localStorage may have lost it). */
  #simOnline = true;
  #offline: Promise<void> | undefined;
  readonly #extra: Partial<Record<FaultKind, () => Promise<string>>>;

  constructor(o: FaultsOptions, errors: string[]) {
    this.#o = o;
    this.errors = errors;
    this.#extra = o.extra?.(this) ?? {};
  }

  /** Deals faults until `windowEnd`, and past it until every kind was injected once (2 min at most). */
  async inject(windowEnd: number): Promise<void> {
    const { tabs, rng } = this.#o;
    const only = this.#o.only;
    const weights = Object.fromEntries(Object.entries(DECKS[this.#o.mode]).filter(([k]) => !only || only.includes(k as FaultKind)));
    const deck = new Deck<FaultKind>(rng, weights, this.#o.first);
    const [gapMin, gapMax] = this.#o.gapMs;
    const hardEnd = windowEnd + 120_000;
    while ((Date.now() < windowEnd || !deck.firstPassDone) && Date.now() < hardEnd) {
      await sleep(rng.int(gapMin, gapMax));
      const kind = deck.next();
      if (kind === 'offline' && this.#offline) {
        deck.settled(kind, false); // one offline period at a time: deal it again later
        continue;
      }
      try {
        const done = await this.#inject(kind);
        deck.settled(kind, true);
        this.#o.say(`fault ${done}`);
      } catch (e) {
        deck.settled(kind, false);
        this.errors.push(`${kind}: ${message(e)}`);
        this.#o.say(`fault ${kind} failed: ${message(e)}`);
        await tabs.closeBroken(this.#o.say);
      }
      await tabs.ensure(this.#o.newTab);
    }
  }

  /** After the window: the offline period over, the ledger listening, the simulated network online. */
  async restoreNetwork(): Promise<void> {
    await this.#offline;
    await this.#o.tabs.ensure(this.#o.newTab);
    await this.#o.ledger.goOnline();
    await this.setNetwork(true);
  }

  async setNetwork(online: boolean): Promise<void> {
    this.#simOnline = online;
    await this.#o.tabs.onAny('setOnline', (p) => p.evaluate((o) => window.chaos.setOnline(o), online));
  }

  /** One tab per build open now (or one plain tab): what a reopen or a relaunch opens. */
  #reopenSpecs(): TabSpec[] {
    const builds = this.#o.tabs.builds();
    return builds.length ? builds.map((build) => ({ build })) : [this.#o.newTab()];
  }

  async #inject(kind: FaultKind): Promise<string> {
    const { tabs, rng, mode } = this.#o;
    const extra = this.#extra[kind];
    if (extra) return extra();
    switch (kind) {
      case 'reload': {
        const live = tabs.live();
        const tab = rng.pick(live);
        const only = live.length === 1;
        this.counts.reload++;
        await tab.page.reload({ waitUntil: 'load', timeout: 60_000 });
        tab.token = await tabs.ready(tab.page);
        if (only && (mode === 'shared' || mode === 'slowHook')) tabs.creator = tab; // the only tab's reload restarts the worker from it
        return `reload tab ${tab.n}${only ? ' (the only one)' : ''}`;
      }
      case 'closeAllReopen': {
        const specs = this.#reopenSpecs();
        const pages = tabs.session.context.pages();
        this.counts.closeAllReopen++;
        tabs.forgetAll();
        for (const p of pages) await withTimeout(p.close(), 30_000, 'page.close').catch(() => undefined);
        const pause = rng.int(0, 1500);
        await sleep(pause);
        const opened: number[] = [];
        for (const spec of specs) opened.push((await tabs.open(spec)).n);
        return `closed ${pages.length} tab(s), reopened tab(s) ${opened.join(', ')} after ${pause} ms`;
      }
      case 'crashCreator':
      case 'crashTab':
        return this.#crash();
      case 'sigkillRelaunch': {
        const specs = this.#reopenSpecs();
        this.counts.sigkillRelaunch++;
        const t = Date.now();
        await tabs.session.kill();
        tabs.forgetAll();
        await tabs.launch(specs);
        // localStorage writes may not survive a SIGKILL: say again what the network is.
        await this.setNetwork(this.#simOnline);
        return `SIGKILLed the browser, relaunched in ${Date.now() - t} ms`;
      }
      case 'secondTab':
      case 'closeTab': {
        let closed = '';
        const live = tabs.live();
        if (live.length >= this.#o.maxTabs) {
          const victim = rng.pick(live.filter((t) => t !== tabs.creator));
          this.counts.closeTab++;
          await tabs.close(victim);
          closed = `closed tab ${victim.n}, `;
        }
        this.counts.secondTab++;
        const tab = await tabs.open(this.#o.newTab());
        return `${closed}opened tab ${tab.n}${describe(tab)} (${tabs.live().length} open)`;
      }
      case 'offline':
        return this.#goOffline();
      case 'killExecutorTab': {
        if (tabs.live().length < 2) await tabs.open(this.#o.newTab()); // someone must take the role over
        const token = await pollValue(() => tabs.onAny('executorTab', (p) => p.evaluate(() => window.chaos.executorTab())), 10_000);
        const target = tabs.live().find((t) => t.token === token);
        if (!target) throw new Error(`no open tab has the executing worker (lock names tab ${token ?? 'none'})`);
        const crash = rng.next() < 0.5;
        this.counts.killExecutorTab++;
        if (crash) await tabs.crash(target);
        else await tabs.close(target);
        return `${crash ? 'crashed' : 'closed'} the executor's tab ${target.n}, ${tabs.live().length} tab(s) left`;
      }
      default:
        throw new Error(`fault ${kind} has no action in mode ${mode}`);
    }
  }

  /** Crashes the creator tab when known, else a random one; counts by whether a worker died. */
  async #crash(): Promise<string> {
    const { tabs, rng, mode } = this.#o;
    // With another tab open: its client must notice the silent death and reconnect by itself.
    let opened = '';
    if (tabs.live().length < 2) opened = `opened tab ${(await tabs.open(this.#o.newTab())).n}, then `;
    const live = tabs.live();
    const target = tabs.creator && live.includes(tabs.creator) ? tabs.creator : rng.pick(live);
    const guessed = tabs.creator !== target;
    const before = await withTimeout(target.page.evaluate(() => window.chaos.liveWorkers()), 10_000, 'liveWorkers');
    await tabs.crash(target);
    const rest = tabs.live();
    let died = true;
    if (rest.length === 0) {
      await tabs.open(this.#o.newTab());
    } else {
      died = await pollUntil(async () => {
        const now = await withTimeout(rest[0]!.page.evaluate(() => window.chaos.liveWorkers()), 10_000, 'liveWorkers');
        return before.some((id) => !now.includes(id));
      }, 5_000);
      if (died && (mode === 'shared' || mode === 'slowHook')) tabs.creator = rest.length === 1 ? rest[0] : undefined;
    }
    this.counts[died ? 'crashCreator' : 'crashTab']++;
    return `${opened}crashed tab ${target.n}${describe(target)}${guessed ? ' (creator unknown: a guess)' : ''}: worker ${died ? 'died' : 'survived'}, ${rest.length} tab(s) left`;
  }

  async #goOffline(): Promise<string> {
    const { rng, ledger } = this.#o;
    const ms = rng.int(...this.#o.offlineMs);
    this.counts.offline++;
    // Either the browser learns it is offline before requests fail (steps park without
    // spending an attempt), or the network drops first and the requests in between fail
    // while "online" (transient step errors, retried with backoff). Back online in the
    // reverse order. The two alternate, so both happen whatever the seed.
    const noticedFirst = this.counts.offline % 2 === 1;
    const [lagDown, lagUp] = [rng.int(100, 600), rng.int(100, 600)]; // drawn now: the seed fixes the schedule
    if (noticedFirst) await this.setNetwork(false);
    await ledger.goOffline();
    if (!noticedFirst) {
      await sleep(lagDown);
      await this.setNetwork(false);
    }
    this.#offline = (async () => {
      await sleep(ms);
      await ledger.goOnline();
      if (!noticedFirst) await sleep(lagUp);
      await this.setNetwork(true);
    })()
      .catch((e: unknown) => {
        this.errors.push(`offline restore: ${message(e)}`);
      })
      .finally(() => {
        this.#offline = undefined;
      });
    return `offline for ${ms} ms (${noticedFirst ? 'navigator.onLine false first' : 'network dropped first, noticed later'})`;
  }
}

/** How a tab is set apart in the log: its build, extendedLifetime. */
export function describe(tab: Tab): string {
  return `${tab.build ? ` (build ${tab.build})` : ''}${tab.extended ? ' (extendedLifetime)' : ''}`;
}
