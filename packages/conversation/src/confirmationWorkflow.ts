import { z } from "zod";
import type { JsonValue, RiskAssessment, RiskLevel, StateStore } from "@espada/infra-core";
import { InfrastructureError, MAX_TIMER_MS, isJsonValue, toError } from "@espada/infra-core";
import { isDestructive, isMutating } from "./vocabulary.js";
import type { Operation } from "./vocabulary.js";

/** How an operator confirms: not at all, with a yes, or by typing the target's name. */
export type ConfirmationLevel = "none" | "simple" | "typed";

/** A resource an operation targets. */
export interface ConfirmationTarget {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
}

/** What the workflow decides from. */
export interface ConfirmationInput {
  readonly operation: Operation;
  readonly environment: string;
  readonly targets: readonly ConfirmationTarget[];
  /** The gate's risk assessment when known. */
  readonly risk?: RiskAssessment;
  /** Parameters as they will be sent (secrets already redacted). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The classifier's confidence. */
  readonly confidence?: number;
  /** The command can be rolled back. */
  readonly rollbackAvailable?: boolean;
  /** A human label of the command (`create-instance on cloud-1`). */
  readonly command?: string;
}

/** The decision. */
export interface ConfirmationDecision {
  readonly required: boolean;
  readonly level: ConfirmationLevel;
  /** Why, for people. */
  readonly reasons: readonly string[];
  /** For `typed`: what the operator must type (the target's name). */
  readonly expectedText?: string;
}

/** What an operation will do, for people. */
export interface ImpactSummary {
  readonly action: string;
  readonly environment: string;
  readonly creates: readonly string[];
  readonly modifies: readonly string[];
  readonly deletes: readonly string[];
  readonly reversible: boolean;
  readonly estimatedDuration: { readonly minMs: number; readonly maxMs: number; readonly text: string };
  readonly risk?: { readonly score: number; readonly level: RiskLevel; readonly factors: readonly string[] };
  /** The whole summary as text. */
  readonly text: string;
}

/** A confirmation waiting for the operator. */
export interface PendingConfirmation<T = unknown> {
  readonly id: string;
  readonly level: "simple" | "typed";
  readonly expectedText?: string;
  readonly summary: ImpactSummary;
  readonly reasons: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** What to run once confirmed (the manager keeps its prepared request here). */
  readonly payload: T;
  /** The question to show. */
  readonly prompt: string;
}

/** The outcome of an answer. */
export type ConfirmationResponse<T = unknown> =
  | { readonly status: "confirmed"; readonly confirmation: PendingConfirmation<T> }
  | { readonly status: "rejected"; readonly confirmation: PendingConfirmation<T> }
  | { readonly status: "expired"; readonly confirmation: PendingConfirmation<T> }
  | { readonly status: "mismatch"; readonly confirmation: PendingConfirmation<T>; readonly message: string }
  | { readonly status: "not-found" };

/** When every mutating operation needs a confirmation (`mutating`, the default) or only risky ones. */
export type ConfirmationPolicy = "mutating" | "risky";

/** Options of {@link InfrastructureConfirmationWorkflow}. */
export interface ConfirmationWorkflowOptions<T = unknown> {
  readonly now?: () => number;
  /** How long a confirmation waits. Default 5 minutes. */
  readonly ttlMs?: number;
  /** Default `mutating`: every change asks. `risky`: only destructive, production, medium+ risk or low-confidence changes ask. */
  readonly policy?: ConfirmationPolicy;
  /** Below this classifier confidence a mutating operation always asks. Default 0.7. */
  readonly minConfidence?: number;
  /** Ids of pending confirmations. Default `crypto.randomUUID`. */
  readonly newId?: () => string;
  /**
   * Where pending confirmations are kept so they survive a restart (core's `StateStore`; each
   * record lives until its `expiresAt`, as the store's TTL). Without one they live in memory only.
   */
  readonly store?: StateStore;
  /** Key prefix of the records in `store`. Default `conversation/confirmations/`. */
  readonly keyPrefix?: string;
  /** Reads a stored payload back; `undefined` drops the record as unreadable. Default: the JSON as is. */
  readonly decodePayload?: (value: JsonValue) => T | undefined;
  /** Told about every failed store write or read (the confirmation itself stays usable in memory). */
  readonly onStoreError?: (error: Error, operation: "write" | "delete" | "restore", id?: string) => void;
}

/** Schema of a stored pending confirmation (its payload checked by `decodePayload`). */
const storedConfirmationSchema = z.object({
  id: z.string().min(1),
  level: z.enum(["simple", "typed"]),
  expectedText: z.string().optional(),
  summary: z.object({ action: z.string(), environment: z.string(), text: z.string() }).loose(),
  reasons: z.array(z.string()),
  createdAt: z.number(),
  expiresAt: z.number(),
  prompt: z.string(),
  payload: z.unknown(),
});

const DURATIONS: Readonly<Partial<Record<Operation, readonly [number, number]>>> = {
  create: [60_000, 600_000],
  deploy: [120_000, 900_000],
  delete: [30_000, 600_000],
  update: [30_000, 300_000],
  scale: [60_000, 600_000],
  restart: [30_000, 300_000],
  start: [30_000, 180_000],
  stop: [30_000, 180_000],
  backup: [60_000, 3_600_000],
  restore: [300_000, 7_200_000],
  migrate: [600_000, 14_400_000],
  rollback: [60_000, 900_000],
  "grant-access": [1_000, 60_000],
  "revoke-access": [1_000, 60_000],
  "rotate-secret": [5_000, 300_000],
};
const RISK_ORDER: Readonly<Record<RiskLevel, number>> = {
  minimal: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};
const YES = new Set([
  "yes",
  "y",
  "yep",
  "yeah",
  "yup",
  "confirm",
  "confirmed",
  "ok",
  "okay",
  "go",
  "go ahead",
  "do it",
  "proceed",
  "sure",
  "approve",
  "yes please",
  "yes, do it",
  "run it",
]);
const NO = new Set([
  "no",
  "n",
  "nope",
  "cancel",
  "stop",
  "abort",
  "don't",
  "dont",
  "reject",
  "never mind",
  "nevermind",
  "cancel that",
  "no thanks",
]);

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

/** The items joined by ", ". */
function joined(items: readonly string[]): string {
  let out = "";
  for (let k = 0; k < items.length; k++) out += (k === 0 ? "" : ", ") + (items[k] as string);
  return out;
}

function label(t: ConfirmationTarget): string {
  return t.name === undefined || t.name === t.id ? t.id : `${t.name} (${t.id})`;
}

/** Normalises an answer: lower case, trimmed, trailing punctuation dropped. */
export function normalizeAnswer(answer: string): string {
  return answer
    .trim()
    .toLowerCase()
    .replace(/[.!?]+$/, "")
    .replace(/\s+/g, " ");
}

/** ASCII letters and digits in `s` (a lower bound of what normalising keeps). */
function alphanumerics(s: string): number {
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) n++;
  }
  return n;
}

/** The most letters and digits a yes or no answer has: a longer message is neither (no normalising then). */
const LONGEST_ANSWER = Math.max(...[...YES, ...NO].map(alphanumerics));

/** What an answer says: yes, no, or neither (normalised once). */
export function answerOf(answer: string): "yes" | "no" | undefined {
  if (alphanumerics(answer) > LONGEST_ANSWER) return undefined;
  const n = normalizeAnswer(answer);
  return YES.has(n) ? "yes" : NO.has(n) ? "no" : undefined;
}

/** True when the answer says yes. */
export function isAffirmative(answer: string): boolean {
  return alphanumerics(answer) <= LONGEST_ANSWER && YES.has(normalizeAnswer(answer));
}

/** True when the answer says no. */
export function isNegative(answer: string): boolean {
  return alphanumerics(answer) <= LONGEST_ANSWER && NO.has(normalizeAnswer(answer));
}

/**
 * `InfrastructureConfirmationWorkflow`: decides from risk, environment and intent whether an
 * operation needs the operator's confirmation, builds an impact summary (what is created,
 * modified or deleted, whether it can be undone, which resources, how long), and keeps pending
 * confirmations until they are answered or expire. A destructive operation at high or critical
 * risk (or in production when the risk is not known) asks the operator to type the target's name.
 * Each confirmation is consumed exactly once.
 */
export class InfrastructureConfirmationWorkflow<T = unknown> {
  private readonly store: StateStore | undefined;
  private readonly keyPrefix: string;
  private readonly decodePayload: (value: JsonValue) => T | undefined;
  private readonly onStoreError: (
    error: Error,
    operation: "write" | "delete" | "restore",
    id?: string,
  ) => void;
  /** Store writes in flight, by confirmation id (resolve true once durable, false when the write failed). */
  private readonly writes = new Map<string, Promise<boolean>>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly policy: ConfirmationPolicy;
  private readonly minConfidence: number;
  private readonly newId: () => string;
  private readonly pending = new Map<string, PendingConfirmation<T>>();

  constructor(options: ConfirmationWorkflowOptions<T> = {}) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? 300_000;
    this.policy = options.policy ?? "mutating";
    this.minConfidence = options.minConfidence ?? 0.7;
    this.newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.store = options.store;
    this.keyPrefix = options.keyPrefix ?? "conversation/confirmations/";
    this.decodePayload = options.decodePayload ?? ((value) => value as T);
    this.onStoreError = options.onStoreError ?? (() => undefined);
    if (!Number.isInteger(this.ttlMs) || this.ttlMs <= 0 || this.ttlMs > MAX_TIMER_MS) {
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        `ttlMs must be a positive integer of at most ${MAX_TIMER_MS}`,
        { field: "ttlMs" },
      );
    }
  }

  /** Decides whether and how the operation must be confirmed. */
  decide(input: ConfirmationInput): ConfirmationDecision {
    const reasons: string[] = [];
    if (!isMutating(input.operation))
      return { required: false, level: "none", reasons: ["read-only operation"] };
    const destructive = isDestructive(input.operation);
    const production = input.environment === "production";
    const risk = input.risk?.level;
    const riskRank = risk === undefined ? undefined : RISK_ORDER[risk];
    if (destructive) reasons.push(`${input.operation} can lose data or state`);
    if (production) reasons.push("it runs in production");
    if (riskRank !== undefined && riskRank >= RISK_ORDER.medium)
      reasons.push(`risk is ${risk} (${input.risk?.score ?? "?"}/100)`);
    if (input.confidence !== undefined && input.confidence < this.minConfidence)
      reasons.push(`I am not sure I understood (confidence ${input.confidence.toFixed(2)})`);
    if (input.targets.length > 1) reasons.push(`it touches ${input.targets.length} resources`);
    if (this.policy === "mutating" && reasons.length === 0) reasons.push("it changes infrastructure");
    if (reasons.length === 0)
      return { required: false, level: "none", reasons: ["low-risk change outside production"] };
    const typed = destructive && (riskRank !== undefined ? riskRank >= RISK_ORDER.high : production);
    if (typed) {
      const first = input.targets[0];
      const expectedText = first === undefined ? input.environment : (first.name ?? first.id);
      return { required: true, level: "typed", reasons, expectedText };
    }
    return { required: true, level: "simple", reasons };
  }

  /** Builds the impact summary of an operation. */
  impact(input: ConfirmationInput): ImpactSummary {
    // Loops, not map/join over the caller's arrays: one shape of code for every kind of target list.
    const targets: string[] = [];
    for (const t of input.targets) targets.push(label(t));
    const op = input.operation;
    let creates: string[] = [];
    if (op === "create" || op === "deploy" || op === "backup") {
      const name = input.params?.["name"];
      creates = targets.length > 0 ? targets : [typeof name === "string" ? name : "a new resource"];
    }
    const deletes: string[] = op === "delete" ? targets : [];
    const modifies: string[] = creates.length === 0 && deletes.length === 0 && isMutating(op) ? targets : [];
    const reversible = input.rollbackAvailable ?? !isDestructive(op);
    const [minMs, maxMs] = DURATIONS[op] ?? [1_000, 60_000];
    const scaledMax = maxMs * Math.max(1, Math.min(10, input.targets.length));
    const estimatedDuration = {
      minMs,
      maxMs: scaledMax,
      text: `about ${duration(minMs)} to ${duration(scaledMax)}`,
    };
    const action = `${op}${input.command === undefined ? "" : ` (${input.command})`} in ${input.environment}`;
    let text = action;
    if (creates.length > 0) text += `\ncreates: ${joined(creates)}`;
    if (modifies.length > 0) text += `\nmodifies: ${joined(modifies)}`;
    if (deletes.length > 0) text += `\ndeletes: ${joined(deletes)}`;
    text += reversible ? "\ncan be undone" : "\ncannot be undone";
    text += `\ntakes ${estimatedDuration.text}`;
    let risk: ImpactSummary["risk"];
    if (input.risk !== undefined) {
      risk = {
        score: input.risk.score,
        level: input.risk.level,
        factors: input.risk.factors.map((f) => f.description),
      };
      text += `\nrisk ${input.risk.score}/100 (${input.risk.level})${risk.factors.length > 0 ? `: ${risk.factors.join("; ")}` : ""}`;
    }
    return {
      action,
      environment: input.environment,
      creates,
      modifies,
      deletes,
      reversible,
      estimatedDuration,
      ...(risk === undefined ? {} : { risk }),
      text,
    };
  }

  /**
   * Opens a pending confirmation for a decision that requires one, holding `payload` (what to run
   * when confirmed). Throws `INVALID_ARGUMENT` for a decision that requires none.
   */
  request(input: ConfirmationInput, decision: ConfirmationDecision, payload: T): PendingConfirmation<T> {
    if (!decision.required || decision.level === "none")
      throw new InfrastructureError("INVALID_ARGUMENT", "this operation needs no confirmation", {
        field: "decision",
      });
    this.sweep();
    const createdAt = this.now();
    const summary = this.impact(input);
    const ask =
      decision.level === "typed"
        ? `This is destructive and cannot be taken back lightly. Type "${decision.expectedText ?? ""}" to confirm, or "cancel".`
        : `Shall I go ahead? (yes / cancel)`;
    const confirmation: PendingConfirmation<T> = {
      id: this.newId(),
      level: decision.level,
      ...(decision.expectedText === undefined ? {} : { expectedText: decision.expectedText }),
      summary,
      reasons: decision.reasons,
      createdAt,
      expiresAt: createdAt + this.ttlMs,
      payload,
      prompt: `${summary.text}\nWhy I ask: ${decision.reasons.join("; ")}.\n${ask}`,
    };
    this.pending.set(confirmation.id, confirmation);
    if (this.store !== undefined) this.write(confirmation, this.store);
    return confirmation;
  }

  private write(confirmation: PendingConfirmation<T>, store: StateStore): void {
    const { id } = confirmation;
    let record: JsonValue;
    try {
      const candidate: unknown = JSON.parse(JSON.stringify(confirmation));
      if (!isJsonValue(candidate)) throw new Error("not JSON");
      record = candidate;
    } catch (error) {
      this.onStoreError(
        new InfrastructureError(
          "INVALID_ARGUMENT",
          `confirmation ${id} cannot be stored: its payload is not JSON`,
          { cause: error, field: "payload" },
        ),
        "write",
        id,
      );
      this.writes.set(id, Promise.resolve(false));
      return;
    }
    const ttlMs = Math.max(1, confirmation.expiresAt - this.now());
    const done = store.put(this.keyPrefix + id, record, { ttlMs }).then(
      () => true,
      (error: unknown) => {
        this.onStoreError(toError(error), "write", id);
        return false;
      },
    );
    this.writes.set(id, done);
    void done.then(() => {
      if (this.writes.get(id) === done) this.writes.delete(id);
    });
  }

  /**
   * Resolves once the confirmation's record is durable: true, or false when there is no store or
   * the write failed (reported to `onStoreError`; the confirmation still works in memory).
   */
  async persisted(id: string): Promise<boolean> {
    if (this.store === undefined) return false;
    const write = this.writes.get(id);
    return write === undefined ? this.pending.has(id) : write;
  }

  /**
   * Removes a consumed confirmation's record, after its write: call it before acting on a
   * confirmation, so a restart cannot bring back one already acted on.
   * @throws the store's error when the record could not be removed (then do not act on it).
   */
  async forget(id: string): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    await this.writes.get(id);
    await store.delete(this.keyPrefix + id);
  }

  /**
   * Loads the pending confirmations kept in the store (after a restart): expired ones are dropped
   * (and their records removed), unreadable ones reported to `onStoreError` and skipped. Returns the
   * confirmations restored, oldest first. A store that cannot be read is reported and restores none.
   */
  async restore(): Promise<PendingConfirmation<T>[]> {
    const store = this.store;
    if (store === undefined) return [];
    let records: { key: string; value: JsonValue }[];
    try {
      records = await store.list(this.keyPrefix);
    } catch (error) {
      this.onStoreError(toError(error), "restore");
      return [];
    }
    const now = this.now();
    const restored: PendingConfirmation<T>[] = [];
    for (const record of records) {
      const parsed = storedConfirmationSchema.safeParse(record.value);
      const payload =
        parsed.success && isJsonValue(parsed.data.payload)
          ? this.decodePayload(parsed.data.payload)
          : undefined;
      if (!parsed.success || payload === undefined || this.keyPrefix + parsed.data.id !== record.key) {
        this.onStoreError(
          new InfrastructureError(
            "INVALID_ARGUMENT",
            `stored confirmation ${record.key} is unreadable; skipped`,
            { field: "payload" },
          ),
          "restore",
          record.key.slice(this.keyPrefix.length),
        );
        continue;
      }
      const data = parsed.data;
      if (now >= data.expiresAt) {
        store
          .delete(record.key)
          .catch((error: unknown) => this.onStoreError(toError(error), "delete", data.id));
        continue;
      }
      if (this.pending.has(data.id)) continue;
      restored.push({
        id: data.id,
        level: data.level,
        ...(data.expectedText === undefined ? {} : { expectedText: data.expectedText }),
        summary: data.summary as unknown as ImpactSummary,
        reasons: data.reasons,
        createdAt: data.createdAt,
        expiresAt: data.expiresAt,
        payload,
        prompt: data.prompt,
      });
    }
    restored.sort((a, b) => a.expiresAt - b.expiresAt);
    // Kept in expiry order before any newer one (see sweep).
    const newer = [...this.pending.values()];
    this.pending.clear();
    for (const c of [...restored, ...newer].sort((a, b) => a.expiresAt - b.expiresAt))
      this.pending.set(c.id, c);
    return restored;
  }

  /**
   * Answers a pending confirmation. `yes` confirms a simple one; a typed one needs exactly the
   * expected text (case and surrounding spaces ignored). `no`/`cancel` rejects. An expired one is
   * removed and reported `expired`. Confirmed, rejected and expired confirmations are consumed.
   */
  respond(id: string, answer: string): ConfirmationResponse<T> {
    const confirmation = this.pending.get(id);
    if (confirmation === undefined) return { status: "not-found" };
    if (this.now() >= confirmation.expiresAt) {
      this.cancel(id);
      return { status: "expired", confirmation };
    }
    const text = typeof answer === "string" ? answer : "";
    if (isNegative(text)) {
      this.cancel(id);
      return { status: "rejected", confirmation };
    }
    if (confirmation.level === "typed") {
      if (normalizeAnswer(text) === normalizeAnswer(confirmation.expectedText ?? "")) {
        this.pending.delete(id);
        return { status: "confirmed", confirmation };
      }
      return {
        status: "mismatch",
        confirmation,
        message: `Type "${confirmation.expectedText ?? ""}" exactly to confirm, or "cancel".`,
      };
    }
    if (isAffirmative(text)) {
      this.pending.delete(id);
      return { status: "confirmed", confirmation };
    }
    return { status: "mismatch", confirmation, message: `Answer "yes" to go ahead or "cancel".` };
  }

  /** Withdraws a pending confirmation (and its stored record, in the background); false when there was none. */
  cancel(id: string): boolean {
    const had = this.pending.delete(id);
    if (had && this.store !== undefined) {
      this.forget(id).catch((error: unknown) => this.onStoreError(toError(error), "delete", id));
    }
    return had;
  }

  /** A pending confirmation, if it is still open. */
  get(id: string): PendingConfirmation<T> | undefined {
    const c = this.pending.get(id);
    if (c !== undefined && this.now() >= c.expiresAt) {
      this.pending.delete(id);
      return undefined;
    }
    return c;
  }

  /**
   * Removes expired confirmations; returns how many. Every confirmation lives `ttlMs`, so the map's
   * insertion order is expiry order: the sweep stops at the first one still open (O(expired), not
   * O(open)). A clock that steps back only delays removal; `get` and `respond` check expiry anyway.
   */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [id, c] of this.pending) {
      if (now < c.expiresAt) break;
      this.pending.delete(id);
      removed++;
    }
    return removed;
  }

  /** Open confirmations. */
  list(): PendingConfirmation<T>[] {
    this.sweep();
    return [...this.pending.values()];
  }
}
