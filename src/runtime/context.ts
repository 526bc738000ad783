/** What the runtime's parts share: the queue engine (and its store and clock), options, the event bus. */
import type { Clock } from '../core/clock.ts';
import type { Emitter } from '../core/emitter.ts';
import type { RunEvent, RunStatus } from '../core/types.ts';
import type { QueueEngine } from '../queue/engine.ts';
import type { Store } from '../store/store.ts';
import type { ResolvedOptions } from './options.ts';

export interface RuntimeContext {
  readonly queue: QueueEngine;
  readonly store: Store;
  readonly clock: Clock;
  readonly options: ResolvedOptions;
  /** Local run events, emitted after the commit they describe. */
  readonly events: Emitter<RunEvent>;
  /** Asks the runtime to publish the current status of these runs (after a commit): reads them. */
  publish(runIds: Iterable<string>): void;
  /** Whether anyone listens: skip building statuses nobody will see. */
  listening(): boolean;
  /** Publishes a status already known (built inside the commit that produced it): no read. */
  emitStatus(status: RunStatus): void;
}
