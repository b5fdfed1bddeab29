import { randomBytes } from "node:crypto";

/** Storage engines the backend offers. */
export const ENGINES = ["redis", "memcached", "etcd"] as const;
/** A storage engine. */
export type Engine = (typeof ENGINES)[number];

/** A database as the backend reports it (never with its password). */
export interface Database {
  readonly id: string;
  readonly name: string;
  readonly engine: Engine;
  readonly sizeGb: number;
  readonly passwordVersion: number;
}

type Stored = { -readonly [K in keyof Database]: Database[K] } & { password: string };

const view = ({ password: _password, ...db }: Stored): Database => db;

/** An in-memory key-value database service: every call takes `latencyMs` and can be aborted. */
export class InMemoryKvBackend {
  readonly #dbs = new Map<string, Stored>();
  readonly #latencyMs: number;
  /** Set to false to make `ping` report an outage. */
  healthy = true;

  constructor(latencyMs = 5) {
    this.#latencyMs = latencyMs;
  }

  async #tick(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, this.#latencyMs);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** True when the service answers and is healthy. */
  async ping(): Promise<boolean> {
    await this.#tick();
    return this.healthy;
  }

  /** Creates a database with a random password. */
  async create(name: string, engine: Engine, sizeGb: number, signal?: AbortSignal): Promise<Database> {
    await this.#tick(signal);
    const db: Stored = {
      id: `kv-${name}`,
      name,
      engine,
      sizeGb,
      passwordVersion: 1,
      password: randomBytes(12).toString("hex"),
    };
    this.#dbs.set(db.id, db);
    return view(db);
  }

  /** The database with this id or name. */
  get(idOrName: string): Database | undefined {
    const db = this.#dbs.get(idOrName) ?? [...this.#dbs.values()].find((d) => d.name === idOrName);
    return db === undefined ? undefined : view(db);
  }

  /** Every database. */
  list(): Database[] {
    return [...this.#dbs.values()].map(view);
  }

  async #update(id: string, change: (db: Stored) => void, signal?: AbortSignal): Promise<Database> {
    await this.#tick(signal);
    const db = this.#dbs.get(id);
    if (db === undefined) throw new Error(`no database ${id}`);
    change(db);
    return view(db);
  }

  /** Changes a database's size. */
  resize(id: string, sizeGb: number, signal?: AbortSignal): Promise<Database> {
    return this.#update(
      id,
      (db) => {
        db.sizeGb = sizeGb;
      },
      signal,
    );
  }

  /** Replaces a database's password. */
  setPassword(id: string, password: string, signal?: AbortSignal): Promise<Database> {
    return this.#update(
      id,
      (db) => {
        db.password = password;
        db.passwordVersion += 1;
      },
      signal,
    );
  }

  /** Deletes a database; false when it did not exist. */
  async delete(id: string, signal?: AbortSignal): Promise<boolean> {
    await this.#tick(signal);
    return this.#dbs.delete(id);
  }
}
