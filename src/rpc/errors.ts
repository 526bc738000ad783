/**
 * Errors across the port: comlink's default "throw" handler keeps name/message/stack only;
 * this one also carries `details` (plain data), and both sides register it. Identity stays the
 * `name` (isWorkflowError), never `instanceof`.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { isPermanentName } from '../core/errors.ts';

interface WireError {
  isError: true;
  value: { name: string; message: string; details?: unknown };
}
interface WireValue {
  isError: false;
  value: unknown;
}

const handler: TransferHandler<{ value: unknown }, WireError | WireValue> = {
  // comlink marks a thrown value with a private Symbol('Comlink.thrown'): recognise it by description.
  canHandle: (v: unknown): v is { value: unknown } =>
    typeof v === 'object' && v !== null && Object.getOwnPropertySymbols(v).some((s) => s.description === 'Comlink.thrown'),
  serialize({ value }) {
    if (value instanceof Error) {
      const details = (value as { details?: unknown }).details;
      let safe: unknown;
      try {
        safe = details === undefined ? undefined : structuredClone(details);
      } catch {
        safe = undefined;
      }
      return [{ isError: true, value: { name: value.name, message: value.message, ...(safe !== undefined ? { details: safe } : {}) } }, []];
    }
    return [{ isError: false, value }, []];
  },
  deserialize(w) {
    if (w.isError) {
      const e = new Error(w.value.message);
      e.name = w.value.name;
      const name = w.value.name;
      Object.assign(e, { details: w.value.details ?? {}, isPermanent: () => isPermanentName(name) });
      throw e;
    }
    throw w.value;
  },
};

let installed = false;

/** Registers the handler (idempotent). */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
