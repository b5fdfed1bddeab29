import type {
  AuditEventInput,
  AuditSink,
  LogEntry,
  SecurityPolicies,
  SecurityPoliciesInput,
  StateStore,
} from "@espada/infra-core";
import { securityPoliciesSchema } from "@espada/infra-core";
import { InMemoryStateStore } from "@espada/infra-sessions";

/** A settable clock. */
export class Clock {
  value: number;
  constructor(value: number) {
    this.value = value;
  }
  readonly now = (): number => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}

/** A memory state store on a given clock. */
export function memoryStore(clock?: Clock): InMemoryStateStore {
  return new InMemoryStateStore(clock === undefined ? {} : { now: clock.now });
}

/** An audit sink that keeps events and can be made to fail. */
export class RecordingAudit implements AuditSink {
  readonly events: AuditEventInput[] = [];
  failing = false;
  record(event: AuditEventInput): Promise<void> {
    if (this.failing) return Promise.reject(new Error("audit down"));
    this.events.push(event);
    return Promise.resolve();
  }
  ofType(type: AuditEventInput["type"]): AuditEventInput[] {
    return this.events.filter((e) => e.type === type);
  }
}

/** Parsed policies from a partial input. */
export function policies(input: SecurityPoliciesInput = {}): SecurityPolicies {
  return securityPoliciesSchema.parse(input);
}

/** 2026-03-04T12:00:00Z, a Wednesday. */
export const WEDNESDAY_NOON_UTC = Date.UTC(2026, 2, 4, 12, 0, 0);

/** Wraps a store and counts every call that changes state (an increment by 0 only reads). */
export function countingStore(inner: StateStore): {
  store: StateStore;
  writes: () => number;
  reset: () => void;
} {
  let writes = 0;
  const mutating = new Set(["put", "compareAndSet", "delete", "append"]);
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (mutating.has(String(property)) || (property === "increment" && args[2] !== 0)) writes += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, writes: () => writes, reset: () => (writes = 0) };
}

/**
 * An audit log's entries with every block entry (the records of one group-commit batch) split into
 * single-record entries, the form every entry had before blocks: `{ s, p, h, b }` per record,
 * positions renumbered. The chain is the same, so the logger must verify either form.
 */
export function singleRecordEntries(entries: readonly LogEntry[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const entry of entries) {
    const v = entry.value as { s: number; p: string; h: string; b: string };
    const bodies = v.b.split("\x1e");
    let prev = v.p;
    bodies.forEach((b, i) => {
      const h = v.h.slice(i * 64, i * 64 + 64);
      out.push({ position: out.length, timestamp: entry.timestamp, value: { s: v.s + i, p: prev, h, b } });
      prev = h;
    });
  }
  return out;
}
