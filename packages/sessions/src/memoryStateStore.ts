import { StateEngine } from "./engine.js";
import { EngineStateStore } from "./engineStore.js";

/** Options of {@link InMemoryStateStore}. */
export interface InMemoryStateStoreOptions {
  /** Clock (epoch ms); tests inject a fake one. Defaults to `Date.now`. */
  readonly now?: () => number;
}

/** A {@link StateStore} kept in memory: the same semantics as the file store, nothing survives the process. */
export class InMemoryStateStore extends EngineStateStore {
  constructor(options: InMemoryStateStoreOptions = {}) {
    super(new StateEngine(options.now === undefined ? {} : { now: options.now }));
  }
}

/** Creates an {@link InMemoryStateStore}. */
export function createInMemoryStateStore(options: InMemoryStateStoreOptions = {}): InMemoryStateStore {
  return new InMemoryStateStore(options);
}
