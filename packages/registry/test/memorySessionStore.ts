import {
  commandHistoryEntrySchema,
  infrastructureSessionSchema,
  pendingOperationSchema,
} from "@espada/infra-core";
import type {
  ClaimResult,
  CommandHistoryEntry,
  CommandHistoryEntryInput,
  HistoryQuery,
  InfrastructureSession,
  PendingClaim,
  PendingOperation,
  PendingOperationInput,
  PendingUpdate,
  SessionStore,
} from "@espada/infra-core";

/** An in-memory `SessionStore` for tests and benches; `failWrites` makes every write reject. */
export class MemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, InfrastructureSession>();
  /** History entries per session id, oldest first. */
  readonly histories = new Map<string, CommandHistoryEntry[]>();
  failWrites = false;
  /** History entries kept per session. */
  maxEntries = 1000;

  /** Creates a session for `userId`. */
  create(id: string, userId = "alice", environment = "development"): InfrastructureSession {
    const now = Date.now();
    const session = infrastructureSessionSchema.parse({
      id,
      userId,
      state: "active",
      environment,
      createdAt: now,
      lastActivityAt: now,
      expiresAt: now + 3_600_000,
    });
    this.sessions.set(id, session);
    return session;
  }

  getSession(sessionId: string): Promise<InfrastructureSession | undefined> {
    return Promise.resolve(this.sessions.get(sessionId));
  }

  appendHistory(sessionId: string, entry: CommandHistoryEntryInput): Promise<void> {
    if (this.failWrites) return Promise.reject(new Error("disk full"));
    if (!this.sessions.has(sessionId)) return Promise.reject(new Error(`no session ${sessionId}`));
    const history = this.histories.get(sessionId) ?? [];
    history.push(commandHistoryEntrySchema.parse(entry));
    if (history.length > this.maxEntries) history.splice(0, history.length - this.maxEntries);
    this.histories.set(sessionId, history);
    return Promise.resolve();
  }

  getHistory(sessionId: string, query: HistoryQuery = {}): Promise<CommandHistoryEntry[]> {
    const history = this.histories.get(sessionId) ?? [];
    return Promise.resolve(history.slice(query.limit === undefined ? 0 : -query.limit));
  }

  /** The history of a session (empty when none). */
  history(sessionId: string): CommandHistoryEntry[] {
    return this.histories.get(sessionId) ?? [];
  }

  async addPendingOperation(sessionId: string, operation: PendingOperationInput): Promise<PendingOperation> {
    const parsed = pendingOperationSchema.parse(operation);
    await this.#write(sessionId, (s) => ({ ...s, pendingOperations: [...s.pendingOperations, parsed] }));
    return parsed;
  }

  claimPendingOperation(sessionId: string, operationId: string, claim: PendingClaim): Promise<ClaimResult> {
    if (this.failWrites) return Promise.reject(new Error("disk full"));
    const session = this.sessions.get(sessionId);
    const found = session?.pendingOperations.find((p) => p.id === operationId);
    if (session === undefined || found === undefined)
      return Promise.resolve({ ok: false, reason: "not-found" });
    if (found.claim !== undefined && found.claim.until > Date.now())
      return Promise.resolve({ ok: false, reason: "claimed" });
    const held: PendingOperation = { ...found, claim: { id: claim.id, at: Date.now(), until: claim.until } };
    this.sessions.set(sessionId, {
      ...session,
      pendingOperations: session.pendingOperations.map((p) => (p === found ? held : p)),
    });
    return Promise.resolve({ ok: true, operation: held });
  }

  completePendingOperation(sessionId: string, operationId: string, claimId: string): Promise<boolean> {
    if (this.failWrites) return Promise.reject(new Error("disk full"));
    const session = this.sessions.get(sessionId);
    const found = session?.pendingOperations.find((p) => p.id === operationId);
    if (session === undefined || found?.claim?.id !== claimId) return Promise.resolve(false);
    this.sessions.set(sessionId, {
      ...session,
      pendingOperations: session.pendingOperations.filter((p) => p !== found),
    });
    return Promise.resolve(true);
  }

  releasePendingOperation(
    sessionId: string,
    operationId: string,
    claimId: string,
    update: PendingUpdate = {},
  ): Promise<boolean> {
    if (this.failWrites) return Promise.reject(new Error("disk full"));
    const session = this.sessions.get(sessionId);
    const found = session?.pendingOperations.find((p) => p.id === operationId);
    if (session === undefined || found?.claim?.id !== claimId) return Promise.resolve(false);
    const { claim: _claim, ...rest } = found;
    const defined = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
    const waiting: PendingOperation = { ...rest, ...defined };
    this.sessions.set(sessionId, {
      ...session,
      pendingOperations: session.pendingOperations.map((p) => (p === found ? waiting : p)),
    });
    return Promise.resolve(true);
  }

  trackResources(
    sessionId: string,
    resources: readonly {
      id: string;
      type: string;
      providerId: string;
      name?: string | undefined;
      updatedAt: number;
    }[],
  ): Promise<void> {
    return this.#write(sessionId, (s) => {
      const next = { ...s.resources };
      for (const r of resources)
        next[r.id] = {
          id: r.id,
          type: r.type,
          providerId: r.providerId,
          updatedAt: r.updatedAt,
          ...(r.name === undefined ? {} : { name: r.name }),
        };
      return { ...s, resources: next };
    });
  }

  forgetResources(sessionId: string, resourceIds: readonly string[]): Promise<void> {
    return this.#write(sessionId, (s) => ({
      ...s,
      resources: Object.fromEntries(Object.entries(s.resources).filter(([id]) => !resourceIds.includes(id))),
    }));
  }

  #write(
    sessionId: string,
    change: (session: InfrastructureSession) => InfrastructureSession,
  ): Promise<void> {
    if (this.failWrites) return Promise.reject(new Error("disk full"));
    const session = this.sessions.get(sessionId);
    if (session === undefined) return Promise.reject(new Error(`no session ${sessionId}`));
    this.sessions.set(sessionId, change(session));
    return Promise.resolve();
  }
}
