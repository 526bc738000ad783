/** A tiny element builder: the demo renders with the DOM API, no framework. */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/**
 * The element `selector` finds, checked to be a `type` (by default any HTML element).
 * @throws Error when the page has no such element, or it is of another type
 */
export function $(selector: string): HTMLElement;
export function $<T extends Element>(selector: string, type: new () => T): T;
export function $(selector: string, type: new () => Element = HTMLElement): Element {
  const el = document.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`the page has no ${type.name} ${selector}`);
  return el;
}

/** Says `text` to screen readers through the page's polite live region. */
export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A new text node in a later task is announced even when the text repeats.
  setTimeout(() => (region.textContent = text), 50);
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
