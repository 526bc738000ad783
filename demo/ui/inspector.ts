/**
 * A small inspector of what Stepwise stored: the demo database's tables, opened read-only from
 * the page with the raw IndexedDB API (an inspector may; the app itself goes through the
 * client). Shows each table's size and its latest records.
 */
import { DB_NAME } from '../shared.ts';
import { h } from './dom.ts';

export interface TableDump {
  name: string;
  count: number;
  /** The last records in key order (newest last for ULID and run-id keys), at most `limit`. */
  rows: { key: string; value: unknown }[];
}

/** Reads every table, or resolves [] when the database does not exist yet (opening would create it). */
export async function readTables(limit = 12): Promise<TableDump[]> {
  const dbs = await indexedDB.databases();
  if (!dbs.some((d) => d.name === DB_NAME)) return [];
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('blocked'));
  });
  // Never stand in the way of the worker's own upgrades.
  db.onversionchange = () => db.close();
  try {
    const names = Array.from(db.objectStoreNames);
    if (names.length === 0) return [];
    const t = db.transaction(names, 'readonly');
    return await Promise.all(
      names.map(async (name) => {
        const store = t.objectStore(name);
        const count = await request(store.count());
        const rows: TableDump['rows'] = [];
        await new Promise<void>((resolve, reject) => {
          const req = store.openCursor(null, 'prev');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const c = req.result;
            if (!c || rows.length >= limit) return resolve();
            rows.push({ key: JSON.stringify(c.primaryKey), value: c.value });
            c.continue();
          };
        });
        return { name, count, rows: rows.reverse() };
      }),
    );
  } finally {
    db.close();
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * Renders the inspector into `root`, keeping the selected table across refreshes. The table
 * buttons are made once and updated in place, so a refresh never pulls one from under a click.
 */
export class Inspector {
  readonly #root: HTMLElement;
  readonly #tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Tables' });
  readonly #body = h('div', {});
  readonly #buttons = new Map<string, { button: HTMLButtonElement; count: HTMLElement }>();
  #selected = 'runs';
  #running: Promise<void> | undefined;
  #again = false;

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  /** Reads and renders; calls made while one runs coalesce into one more. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        this.#render(await readTables().catch((): TableDump[] => []));
      } while (this.#again);
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  #render(tables: TableDump[]): void {
    const first = tables[0];
    if (first === undefined) {
      this.#root.replaceChildren(h('p', { class: 'empty' }, 'Nothing stored yet.'));
      return;
    }
    if (this.#tabs.parentElement !== this.#root) this.#root.replaceChildren(this.#tabs, this.#body);
    for (const t of tables) {
      let entry = this.#buttons.get(t.name);
      if (!entry) {
        const count = h('span', { class: 'count' });
        const button = h('button', { type: 'button', 'data-table': t.name }, `${t.name} `, count);
        button.addEventListener('click', () => {
          this.#selected = t.name;
          void this.refresh();
        });
        this.#tabs.append(button);
        entry = { button, count };
        this.#buttons.set(t.name, entry);
      }
      entry.count.textContent = String(t.count);
      entry.button.setAttribute('aria-pressed', String(t.name === this.#selected));
    }
    const table = tables.find((t) => t.name === this.#selected) ?? first;
    this.#body.replaceChildren(
      table.rows.length === 0
        ? h('p', { class: 'empty' }, `${table.name} is empty.`)
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'records' },
              h('caption', {}, `${table.name}: the last ${table.rows.length} of ${table.count} records`),
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'key'), h('th', { scope: 'col' }, 'value'))),
              h('tbody', {}, ...table.rows.map((r) => h('tr', {}, h('td', { class: 'key' }, r.key), h('td', { class: 'value' }, summarize(r.value))))),
            ),
          ),
    );
  }
}

function summarize(v: unknown): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' && x.length > 80 ? `${x.slice(0, 77)}…` : x));
  return s.length > 320 ? `${s.slice(0, 317)}…` : s;
}
