import type {
  CommandDefinition,
  ExecuteRequest,
  ExecutionOutcome,
  InfrastructureCatalogue,
  OperationRunner,
  SessionStore,
  StateStore,
} from "@espada/infra-core";
import {
  InfrastructureError,
  MAX_TIMER_MS,
  ValidationError,
  toError,
  validateConfigSection,
} from "@espada/infra-core";
import type { ConversationConfigInput } from "@espada/infra-core";
import { getLexicon } from "./lexicon.js";
import type { LexWord } from "./lexicon.js";
import { analyze, stem } from "./text.js";
import type { Analysis } from "./text.js";
import { InfrastructureIntentClassifier } from "./intentClassifier.js";
import type { IntentClassifierOptions, IntentResult } from "./intentClassifier.js";
import { InfrastructureParameterExtractor } from "./parameterExtractor.js";
import type { ExtractedValues, ParameterAmbiguity, SuggestedDefault } from "./parameterExtractor.js";
import { InfrastructureResourceResolver } from "./resourceResolver.js";
import { InfrastructureStateProvider } from "./stateProvider.js";
import type { ResourceSnapshot } from "./stateProvider.js";
import { InfrastructureConfirmationWorkflow, answerOf, isAffirmative } from "./confirmationWorkflow.js";
import type { ConfirmationPolicy, ImpactSummary, PendingConfirmation } from "./confirmationWorkflow.js";
import { InfrastructureErrorHumanizer } from "./errorHumanizer.js";
import type { HumanizedError } from "./errorHumanizer.js";
import { InfrastructureStatusUpdater } from "./statusUpdater.js";
import { MODEL_CONTEXT, callModel, intentFromModel, valuesFromModel } from "./model.js";
import { z } from "zod";
import { intentResultSchema } from "./intentClassifier.js";
import { extractedValuesSchema } from "./parameterExtractor.js";
import type { LanguageModelAdapter } from "./model.js";
import { isMutating, OPERATIONS } from "./vocabulary.js";
import type { Operation } from "./vocabulary.js";

/** What kind of answer a message got. */
export const RESPONSE_KINDS = [
  "out-of-scope",
  "clarification",
  "confirmation",
  "executed",
  "failed",
  "pending-approval",
  "denied",
  "invalid",
  "cancelled",
  "answer",
] as const;
/** A response kind. */
export type ResponseKind = (typeof RESPONSE_KINDS)[number];

/** Something the message leaves open. */
export type Ambiguity =
  | { readonly kind: "intent"; readonly reason: string; readonly options: readonly string[] }
  | ({ readonly kind: "parameter" } & ParameterAmbiguity)
  | {
      readonly kind: "resource";
      readonly reference: string;
      readonly candidates: readonly { id: string; name?: string; type: string }[];
    }
  | { readonly kind: "command"; readonly candidates: readonly { instanceId: string; commandId: string }[] }
  | {
      readonly kind: "missing-parameter";
      readonly parameters: readonly string[];
      readonly suggestions: readonly SuggestedDefault[];
    };

/** A request for confirmation, as shown to the user. */
export interface ConfirmationRequest {
  readonly id: string;
  readonly level: "simple" | "typed";
  /** For `typed`: what the user must type. */
  readonly expectedText?: string;
  readonly prompt: string;
  readonly summary: ImpactSummary;
  readonly expiresAt: number;
}

/** The operation a message resolved to. */
export interface PlannedCommand {
  readonly instanceId: string;
  readonly commandId: string;
  /** Parameters as they will be sent (secret ones shown as given: they come from the user's own message). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly environment: string;
}

/** What happened when something ran. */
export interface OutcomeSummary {
  readonly status: ExecutionOutcome["status"];
  readonly executionId: string;
  readonly data?: unknown;
  readonly error?: HumanizedError;
  /** For `pending`: the pending operation id and what it waits for. */
  readonly pendingId?: string;
  readonly waitingFor?: "approval" | "confirmation";
  readonly approvalId?: string;
  readonly risk?: { readonly score: number; readonly level: string };
  readonly reasons?: readonly string[];
}

/** The answer to one message: plain JSON. */
export interface ConversationResponse {
  readonly kind: ResponseKind;
  readonly intent: IntentResult;
  readonly parameters: ExtractedValues;
  readonly ambiguities: readonly Ambiguity[];
  /** A suggested reply for the user. */
  readonly response: string;
  readonly confirmation: ConfirmationRequest | null;
  readonly command: PlannedCommand | null;
  readonly outcome: OutcomeSummary | null;
  /** Resources the message referred to, resolved. */
  readonly resources: readonly { id: string; name?: string; type: string }[];
}

/** Who is talking, and where. */
export interface MessageContext {
  /** Keeps multi-turn context ("and in staging too", "yes", "cancel that"). */
  readonly conversationId: string;
  /** The session operations run in (history, pending operations, environment, user). */
  readonly sessionId?: string;
  readonly userId?: string;
  /** Default: the session's environment, else `development`. */
  readonly environment?: string;
  readonly signal?: AbortSignal;
}

/** Options of {@link InfrastructureConversationManager}. */
export interface ConversationManagerOptions {
  /** What exists: instances and their commands (the registry's catalogue). */
  readonly catalogue: InfrastructureCatalogue;
  /** How anything runs: always through validation and the security gate (the executor's runner). */
  readonly runner: OperationRunner;
  /** Sessions: environment, user and history for context. */
  readonly sessions?: SessionStore;
  /** Known resources for name resolution; default: an empty one the runner's outcomes feed. */
  readonly state?: InfrastructureStateProvider;
  /** An optional language model for classification and extraction; the offline pipeline is the fallback. */
  readonly model?: LanguageModelAdapter;
  /** Time limit of one model call in ms. Default 2 000. */
  readonly modelTimeoutMs?: number;
  readonly now?: () => number;
  /** Time zone times like "2am" are read in. Default UTC. */
  readonly timeZone?: string;
  readonly classifier?: IntentClassifierOptions;
  /** Which changes need confirmation. Default `mutating` (all). */
  readonly confirmationPolicy?: ConfirmationPolicy;
  /** How long a confirmation waits, in ms. Default 300 000. */
  readonly confirmationTtlMs?: number;
  /** Conversations kept at once (least recently used dropped). Default 1 000. */
  readonly maxConversations?: number;
  /**
   * The `conversationConfig` section (core's schema): policy, TTLs, time zone, limits. Options given
   * directly above win over it. An invalid section throws a `ValidationError` naming each field.
   */
  readonly config?: ConversationConfigInput;
  /**
   * Keeps pending confirmations (core's `StateStore`, each record expiring with its confirmation),
   * so a "yes" after a restart still finds the question it answers. Without one they live in memory.
   */
  readonly store?: StateStore;
  /** Told about a failed store write, delete or restore (the conversation goes on). */
  readonly onStoreError?: (error: Error, operation: "write" | "delete" | "restore", id?: string) => void;
}

interface Turn {
  intent: IntentResult;
  values: ExtractedValues;
}

interface ConversationState {
  last: Turn | undefined;
  recent: string[];
  pendingConfirmation: string | undefined;
  /** The message the pending clarification was about, to merge the answer with. */
  clarifying: Turn | undefined;
}

interface Payload {
  readonly request: ExecuteRequest;
  readonly turn: Turn;
  /** The conversation the confirmation belongs to (restored into it after a restart). */
  readonly conversationId: string;
}

/** Schema of a stored {@link Payload}: what a restart reads back. */
const storedPayloadSchema = z.object({
  conversationId: z.string(),
  request: z
    .object({
      instanceId: z.string(),
      commandId: z.string(),
      params: z.record(z.string(), z.unknown()).optional(),
    })
    .loose(),
  turn: z.object({ intent: intentResultSchema, values: extractedValuesSchema }),
});

/** Longest wait for a store write before a confirmation is shown anyway (memory-only until it lands). */
const STORE_WAIT_MS = 2_000;

/** Verbs in command ids and names that carry each operation. */
const COMMAND_VERBS: Readonly<Record<Operation, readonly string[]>> = {
  create: ["create", "provision", "add", "launch", "new", "make"],
  deploy: ["deploy", "release", "rollout", "publish"],
  delete: ["delete", "remove", "destroy", "terminate", "deprovision", "drop"],
  update: ["update", "modify", "set", "configure", "patch", "upgrade", "edit", "rename"],
  scale: ["scale", "resize"],
  restart: ["restart", "reboot", "bounce"],
  start: ["start", "resume", "power-on"],
  stop: ["stop", "pause", "halt", "shutdown", "suspend"],
  backup: ["backup", "snapshot"],
  restore: ["restore", "recover"],
  migrate: ["migrate", "move", "transfer"],
  rollback: ["rollback", "revert"],
  list: ["list", "ls", "inventory"],
  describe: ["describe", "get", "show", "info", "inspect"],
  status: ["status", "health", "check"],
  metrics: ["metrics", "metric", "stats", "usage", "monitor"],
  logs: ["logs", "log", "tail"],
  "grant-access": ["grant", "allow", "assign", "add-user"],
  "revoke-access": ["revoke", "deny", "unassign", "remove-user"],
  "rotate-secret": ["rotate", "renew", "regenerate"],
  audit: ["audit", "access-review"],
  "security-scan": ["scan", "security-scan", "vulnerability"],
  "cost-estimate": ["estimate", "price", "quote", "forecast"],
  "cost-report": ["cost", "costs", "report", "spend", "billing"],
  "cost-optimize": ["optimize", "savings", "rightsize", "recommend"],
  help: ["help"],
  history: ["history"],
  "list-providers": ["providers"],
  discover: ["discover", "discovery"],
};

const COMMAND_VERB_STEMS = Object.fromEntries(
  Object.entries(COMMAND_VERBS).map(([op, verbs]) => [op, verbs.map((v) => stem(v))]),
) as unknown as Record<Operation, readonly string[]>;

/** Canonical parameter → names a command may use for it. */
const PARAM_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  resourceId: [
    "resourceid",
    "instanceid",
    "id",
    "resource",
    "target",
    "vmid",
    "volumeid",
    "clusterid",
    "databaseid",
    "dbinstanceid",
  ],
  name: [
    "name",
    "resourcename",
    "instancename",
    "bucketname",
    "clustername",
    "dbname",
    "databasename",
    "id",
    "resource",
    "target",
    "key",
    "instanceid",
  ],
  count: ["count", "replicas", "instances", "nodes", "desiredcount", "size", "capacity", "number"],
  countDelta: ["delta", "by", "increment", "countdelta"],
  cpu: ["cpu", "cpus", "vcpu", "vcpus", "cores"],
  memoryMiB: ["memory", "memorymb", "memorymib", "ram", "rammb"],
  diskGiB: ["disk", "disksize", "diskgb", "diskgib", "storage", "storagegb", "volumesize", "sizegb"],
  region: ["region", "location", "zone"],
  environment: ["environment", "env", "stage"],
  instanceType: ["instancetype", "machinetype", "vmsize", "sku", "type", "size", "flavor"],
  at: ["at", "when", "scheduleat", "scheduledat", "time", "startat"],
  durationMs: ["duration", "durationms", "ttl", "timeout", "timeoutms"],
  periodMs: ["period", "periodms", "since", "window", "windowms", "lookback"],
  principal: ["principal", "user", "userid", "member", "grantee", "subject"],
  accessLevel: ["role", "accesslevel", "permission", "level"],
  version: ["version", "tag", "release"],
  resourceType: ["resourcetype", "kind"],
  newName: ["newname", "to"],
};

const PARAM_SYNONYM_ENTRIES = Object.entries(PARAM_SYNONYMS);

const PRONOUNS = new Set(["it", "that", "them", "this", "those", "these"]);
const CREATES = new Set<Operation>(["create", "deploy"]);
const FOLLOW_UP =
  /^(?:and|also|too|same|what about|how about|now|then|plus)\b|\b(?:too|as well|also|again)\W*$/i;
const CONTROL_CANCEL =
  /^(?:cancel|cancel that|cancel it|stop|abort|never ?mind|forget it|no|nope|don'?t)\W*$/i;

/** One to three words (of a message already trimmed): what a typed confirmation can look like. */
const AT_MOST_THREE_WORDS = /^\S+(?:\s+\S+){0,2}$/;

function lowerKey(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * `InfrastructureConversationManager`: the whole pipeline. `processMessage` classifies a message
 * (a plugged-in model first when there is one, the offline classifier otherwise and as fallback),
 * extracts and resolves its parameters and resources, finds the command that serves it in the
 * catalogue, asks for clarification or confirmation when needed, and runs it through the
 * `OperationRunner` — the same validation and security gate as a CLI call. It keeps multi-turn
 * context per conversation ("and in staging too", "yes", "cancel that"). It never runs a mutating
 * operation without the user's confirmation, and never throws for a bad message.
 */
export class InfrastructureConversationManager {
  readonly classifier: InfrastructureIntentClassifier;
  readonly extractor: InfrastructureParameterExtractor;
  readonly resolver: InfrastructureResourceResolver;
  readonly state: InfrastructureStateProvider;
  readonly confirmations: InfrastructureConfirmationWorkflow<Payload>;
  readonly humanizer: InfrastructureErrorHumanizer;
  readonly status: InfrastructureStatusUpdater;
  private readonly catalogue: InfrastructureCatalogue;
  private readonly runner: OperationRunner;
  private readonly sessions: SessionStore | undefined;
  private readonly model: LanguageModelAdapter | undefined;
  private readonly modelTimeoutMs: number;
  private readonly maxConversations: number;
  private readonly conversations = new Map<string, ConversationState>();
  private restoring: Promise<void> | undefined;
  /** Pending confirmations have been restored from the store (true from the start without one). */
  private restored: boolean;
  /** A store keeps pending confirmations. */
  private readonly durable: boolean;

  constructor(options: ConversationManagerOptions) {
    if (options.catalogue === undefined || options.runner === undefined) {
      throw new InfrastructureError("INVALID_ARGUMENT", "a catalogue and a runner are required", {
        field: options.catalogue === undefined ? "catalogue" : "runner",
      });
    }
    const parsed = validateConfigSection("conversationConfig", options.config ?? {});
    if (!parsed.success)
      throw new ValidationError(
        "conversationConfig is invalid",
        parsed.errors.map((e) => ({ ...e, path: `conversationConfig.${e.path ?? ""}`.replace(/\.$/, "") })),
      );
    const config = parsed.data;
    this.modelTimeoutMs = options.modelTimeoutMs ?? config.modelTimeout;
    this.maxConversations = options.maxConversations ?? config.maxConversations;
    if (
      !Number.isInteger(this.modelTimeoutMs) ||
      this.modelTimeoutMs <= 0 ||
      this.modelTimeoutMs > MAX_TIMER_MS
    )
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        "modelTimeoutMs must be a positive integer timer delay",
        { field: "modelTimeoutMs" },
      );
    if (!Number.isInteger(this.maxConversations) || this.maxConversations < 1)
      throw new InfrastructureError("INVALID_ARGUMENT", "maxConversations must be a positive integer", {
        field: "maxConversations",
      });
    const now = options.now ?? Date.now;
    this.catalogue = options.catalogue;
    this.runner = options.runner;
    this.sessions = options.sessions;
    this.durable = options.store !== undefined;
    this.restored = !this.durable;
    this.model = options.model;
    this.classifier = new InfrastructureIntentClassifier({
      minConfidence: config.minConfidence,
      ...options.classifier,
    });
    this.extractor = new InfrastructureParameterExtractor({
      now,
      timeZone: options.timeZone ?? config.timeZone,
    });
    this.resolver = new InfrastructureResourceResolver();
    this.state = options.state ?? new InfrastructureStateProvider({ now });
    this.humanizer = new InfrastructureErrorHumanizer();
    this.status = new InfrastructureStatusUpdater({ now, humanizer: this.humanizer });
    this.confirmations = new InfrastructureConfirmationWorkflow<Payload>({
      now,
      policy: options.confirmationPolicy ?? config.confirmationPolicy,
      ttlMs: options.confirmationTtlMs ?? config.confirmationTtl,
      ...(options.store === undefined ? {} : { store: options.store }),
      ...(options.onStoreError === undefined ? {} : { onStoreError: options.onStoreError }),
      decodePayload: (value) => {
        const parsed = storedPayloadSchema.safeParse(value);
        return parsed.success ? parsed.data : undefined;
      },
    });
  }

  /** Classifies a message offline (the documented programmatic entry for scoring a labelled set). */
  classify(text: string): IntentResult {
    return this.classifier.classify(text);
  }

  /** Handles one chat message. Never throws for a bad message; a failing runner becomes a `failed` response. */
  async processMessage(text: string, context: MessageContext): Promise<ConversationResponse> {
    const message = typeof text === "string" ? text.slice(0, 4_000) : "";
    // Once restored (at once without a store), no await: a message costs no extra microtask hop.
    if (!this.restored) await (this.restoring ?? this.restore());
    const convo = this.conversation(context.conversationId);
    const analysis = analyze(message, getLexicon().reader);

    // 1. An answer to a pending confirmation ("yes", "cancel that", the typed name).
    if (convo.pendingConfirmation !== undefined) {
      const answered = this.answerConfirmation(convo, message, context, analysis);
      if (answered !== undefined) return answered;
    }

    // 2. Intent: the model first, when there is one; the offline classifier otherwise and as fallback.
    // "restart it": a pronoun pointing at a resource of this conversation keeps the message in scope.
    let refersBack = false;
    if (convo.recent.length > 0)
      for (const t of analysis.tokens) if (!t.quoted && PRONOUNS.has(t.lower)) refersBack = true;
    const offline = this.classifier.classifyAnalysis(analysis, { inScope: refersBack });
    let intent = offline;
    if (this.model?.classify !== undefined && offline.composite.length === 0) {
      const model = this.model;
      const raw = await callModel(
        (signal) =>
          (model.classify as NonNullable<LanguageModelAdapter["classify"]>)(message, MODEL_CONTEXT, signal),
        this.modelTimeoutMs,
        context.signal,
      );
      intent = intentFromModel(raw) ?? offline;
    }
    const trimmed = message.trim();
    if (CONTROL_CANCEL.test(trimmed)) {
      return this.reply("cancelled", intent, {}, "There is nothing waiting to be cancelled.");
    }

    // 3. Parameters.
    // Nothing is extracted from an out-of-scope message (its answer carries no parameters).
    const extraction: { values: ExtractedValues; ambiguities: readonly ParameterAmbiguity[] } =
      intent.outOfScope
        ? { values: {}, ambiguities: [] }
        : this.model?.extract === undefined
          ? this.extractor.extractAnalysis(analysis, { operation: intent.operation })
          : await this.extract(message, analysis, intent, context);
    let values = extraction.values;
    const ambiguities: Ambiguity[] = [];

    // 4. Multi-turn: "and in staging too", "same for web-2", or the answer to a clarification.
    if (
      convo.last !== undefined &&
      (intent.operation === null || intent.needsClarification) &&
      !intent.outOfScope &&
      intent.composite.length === 0 &&
      FOLLOW_UP.test(trimmed)
    ) {
      intent = convo.last.intent;
      values = { ...convo.last.values, ...values };
    } else if (
      convo.clarifying !== undefined &&
      intent.operation !== null &&
      !intent.needsClarification &&
      intent.composite.length === 0
    ) {
      values = { ...convo.clarifying.values, ...values };
    }
    if (intent.outOfScope) {
      return this.reply(
        "out-of-scope",
        intent,
        values,
        "I can help with infrastructure: creating, changing and inspecting resources, costs, access and logs. That request is outside what I do.",
      );
    }
    if (intent.needsClarification || intent.operation === null) {
      convo.clarifying = { intent, values };
      const options = intent.clarification?.options.map((o) => o.operation) ?? [];
      return this.reply(
        "clarification",
        intent,
        values,
        intent.clarification?.question ?? "What would you like to do?",
        {
          ambiguities: [{ kind: "intent", reason: intent.clarification?.reason ?? "no-operation", options }],
        },
      );
    }
    convo.clarifying = undefined;
    const operation = intent.operation;
    for (const a of extraction.ambiguities) ambiguities.push({ kind: "parameter", ...a });

    // 5. Questions answered from the catalogue itself.
    if (operation === "list-providers" || operation === "help") {
      convo.last = { intent, values };
      return this.reply(
        "answer",
        intent,
        values,
        operation === "help" ? this.helpText() : this.providersText(),
        { ambiguities },
      );
    }

    // 6. Resources.
    const session = context.sessionId === undefined ? undefined : await this.safeSession(context.sessionId);
    const environment = values.environment ?? context.environment ?? session?.environment ?? "development";
    // A name in a create request is new: it is not looked up.
    const resolved: {
      resources: ResourceSnapshot[];
      ambiguity?: { question: string; ambiguity: Ambiguity };
    } = CREATES.has(operation)
      ? { resources: [] }
      : this.resolveResources(analysis, values, convo, environment);
    if (resolved.ambiguity !== undefined) {
      convo.clarifying = { intent, values };
      return this.reply("clarification", intent, values, resolved.ambiguity.question, {
        ambiguities: [...ambiguities, resolved.ambiguity.ambiguity],
      });
    }

    // 7. The command that serves it.
    const found = this.findCommand(operation, values, session?.instanceId);
    if (found.kind === "none") {
      convo.last = { intent, values };
      return this.reply(
        "answer",
        intent,
        values,
        `No active provider offers "${operation.replace("-", " ")}"${values.resourceType === undefined ? "" : ` for ${values.resourceType}`}. ${this.providersText()}`,
        { ambiguities },
      );
    }
    if (found.kind === "ambiguous")
      return this.askWhichCommand(convo, intent, values, ambiguities, found.candidates);
    const { instanceId, command } = found;
    const params = mapParameters(command, values, resolved.resources);
    let missing = false;
    for (const p of command.parameters) if (p.required && params[p.name] === undefined) missing = true;
    if (missing) return this.askMissing(convo, intent, values, ambiguities, command, params, environment);
    const request: ExecuteRequest = {
      instanceId,
      commandId: command.id,
      params,
      environment,
      ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
      ...(context.userId === undefined ? {} : { userId: context.userId }),
      ...(resolved.resources.length === 0 ? {} : { resourceIds: resolved.resources.map((r) => r.id) }),
    };
    const planned: PlannedCommand = { instanceId, commandId: command.id, params, environment };
    const turn: Turn = { intent, values };
    convo.last = turn;
    if (resolved.resources.length > 0) convo.recent = recentWith(resolved.resources, convo.recent);
    const resources = resolved.resources.map(brief);

    // 8. Confirmation for anything that changes infrastructure (or a dangerous command).
    const mutating = isMutating(operation) || command.dangerous;
    const targets = resolved.resources.length > 0 ? resourceTargets(resolved.resources) : nameTargets(values);
    const confirmationInput = {
      operation,
      environment,
      targets,
      params,
      confidence: intent.confidence,
      command: `${command.id} on ${instanceId}`,
    };
    const decision = this.confirmations.decide(confirmationInput);
    if (mutating && (decision.required || command.dangerous)) {
      const effective = decision.required
        ? decision
        : { required: true, level: "simple" as const, reasons: ["the command is marked dangerous"] };
      const pending = this.confirmations.request(confirmationInput, effective, {
        request,
        turn,
        conversationId: context.conversationId,
      });
      convo.pendingConfirmation = pending.id;
      // Shown once durable (or after STORE_WAIT_MS: a slow or failing store leaves it in memory only).
      if (this.durable) await waitAtMost(this.confirmations.persisted(pending.id), STORE_WAIT_MS);
      return this.reply("confirmation", intent, values, pending.prompt, {
        ambiguities,
        confirmation: toRequest(pending),
        command: planned,
        resources,
      });
    }
    return this.run(request, intent, values, planned, resources, ambiguities, context, false);
  }

  // Rare answers live in their own methods: their code (and its bail-outs) stays out of the hot path.

  private askWhichCommand(
    convo: ConversationState,
    intent: IntentResult,
    values: ExtractedValues,
    ambiguities: readonly Ambiguity[],
    candidates: readonly { instanceId: string; commandId: string }[],
  ): ConversationResponse {
    convo.clarifying = { intent, values };
    const list = candidates.map((c) => `${c.commandId} on ${c.instanceId}`).join(", ");
    return this.reply(
      "clarification",
      intent,
      values,
      `Several commands could do that: ${list}. Which one?`,
      {
        ambiguities: [...ambiguities, { kind: "command", candidates: [...candidates] }],
      },
    );
  }

  private askMissing(
    convo: ConversationState,
    intent: IntentResult,
    values: ExtractedValues,
    ambiguities: readonly Ambiguity[],
    command: CommandDefinition,
    params: Record<string, unknown>,
    environment: string,
  ): ConversationResponse {
    const operation = intent.operation ?? "";
    const suggestions = this.extractor.suggestDefaults(command, params, { environment });
    const missing: string[] = [];
    const unsuggested: string[] = [];
    for (const p of command.parameters) {
      if (!p.required || params[p.name] !== undefined) continue;
      missing.push(p.name);
      let suggested = false;
      for (const s of suggestions) if (s.parameter === p.name) suggested = true;
      if (!suggested) unsuggested.push(p.name);
    }
    convo.clarifying = { intent, values };
    let hint = "";
    for (let k = 0; k < suggestions.length; k++) {
      const s = suggestions[k] as SuggestedDefault;
      hint += `${k === 0 ? " Suggested: " : "; "}${s.parameter} = ${JSON.stringify(s.value)} (${s.reason})`;
    }
    if (hint !== "") hint += ".";
    const all: Ambiguity[] = [];
    for (const a of ambiguities) all.push(a);
    all.push({
      kind: "missing-parameter",
      parameters: unsuggested.length > 0 ? unsuggested : missing,
      suggestions,
    });
    return this.reply(
      "clarification",
      intent,
      values,
      `To ${operation.replace("-", " ")} I still need: ${missing.join(", ")}.${hint}`,
      { ambiguities: all },
    );
  }

  /**
   * Loads pending confirmations kept in the store into their conversations (done once, before the
   * first message; call it earlier to restore at start-up). Never throws: a failing store is reported.
   */
  restore(): Promise<void> {
    this.restoring ??= this.confirmations.restore().then((restored) => {
      for (const pending of restored) {
        const convo = this.conversation(pending.payload.conversationId);
        if (convo.pendingConfirmation === undefined) convo.pendingConfirmation = pending.id;
        else this.confirmations.cancel(pending.id);
      }
      this.restored = true;
    });
    return this.restoring;
  }

  /** Forgets a conversation's context and withdraws its pending confirmation. */
  endConversation(conversationId: string): void {
    const c = this.conversations.get(conversationId);
    if (c?.pendingConfirmation !== undefined) this.confirmations.cancel(c.pendingConfirmation);
    this.conversations.delete(conversationId);
  }

  /** Sync unless the answer confirms (then the store and the runner are awaited): no hop for a new request. */
  private answerConfirmation(
    convo: ConversationState,
    message: string,
    context: MessageContext,
    analysis: Analysis<LexWord>,
  ): ConversationResponse | Promise<ConversationResponse> | undefined {
    const id = convo.pendingConfirmation;
    if (id === undefined) return undefined;
    const pending = this.confirmations.get(id);
    if (pending === undefined) return this.expiredConfirmation(convo, message, analysis);
    const trimmed = message.trim();
    const cancels = CONTROL_CANCEL.test(trimmed);
    const looksLikeAnswer =
      cancels ||
      answerOf(message) !== undefined ||
      (pending.level === "typed" && trimmed.length > 0 && AT_MOST_THREE_WORDS.test(trimmed));
    if (!looksLikeAnswer) {
      // A new request replaces the question that was waiting.
      this.confirmations.cancel(id);
      convo.pendingConfirmation = undefined;
      return undefined;
    }
    return this.settleConfirmation(convo, id, pending, cancels ? "cancel" : message, context);
  }

  /** The conversation's confirmation expired: a "yes" or "cancel" is told so; anything else is a new request. */
  private expiredConfirmation(
    convo: ConversationState,
    message: string,
    analysis: Analysis<LexWord>,
  ): ConversationResponse | undefined {
    convo.pendingConfirmation = undefined;
    if (isAffirmative(message) || CONTROL_CANCEL.test(message.trim())) {
      const intent = this.classifier.classifyAnalysis(analysis);
      return this.reply(
        "cancelled",
        intent,
        {},
        "That confirmation has expired; nothing was run. Ask again if you still want it.",
      );
    }
    return undefined;
  }

  /** An answer to the open confirmation: confirmed (it runs), rejected, expired or not the expected text. */
  private settleConfirmation(
    convo: ConversationState,
    id: string,
    pending: PendingConfirmation<Payload>,
    answer: string,
    context: MessageContext,
  ): ConversationResponse | Promise<ConversationResponse> {
    const result = this.confirmations.respond(id, answer);
    const { intent, values } = pending.payload.turn;
    const planned = plannedOf(pending.payload.request);
    if (result.status === "mismatch")
      return this.reply("confirmation", intent, values, result.message, {
        confirmation: toRequest(pending),
        command: planned,
      });
    convo.pendingConfirmation = undefined;
    if (result.status === "rejected")
      return this.reply("cancelled", intent, values, "Cancelled; nothing was run.", { command: planned });
    if (result.status === "expired" || result.status === "not-found")
      return this.reply("cancelled", intent, values, "That confirmation has expired; nothing was run.", {
        command: planned,
      });
    return this.runConfirmed(id, pending, intent, values, planned, context);
  }

  private async runConfirmed(
    id: string,
    pending: PendingConfirmation<Payload>,
    intent: IntentResult,
    values: ExtractedValues,
    planned: PlannedCommand,
    context: MessageContext,
  ): Promise<ConversationResponse> {
    if (this.durable) {
      // Its record goes first: a restart must never bring back a confirmation already acted on.
      // A store that fails or does not answer in time means nothing runs.
      let failure: unknown;
      try {
        if (!(await waitAtMost(this.confirmations.forget(id), STORE_WAIT_MS)))
          failure = new InfrastructureError(
            "TIMEOUT",
            `the confirmation store did not answer within ${STORE_WAIT_MS} ms`,
          );
      } catch (error) {
        failure = error;
      }
      if (failure !== undefined) {
        const human = this.humanizer.humanize(failure);
        return this.reply(
          "failed",
          intent,
          values,
          `Nothing was run: the confirmation could not be recorded as used (${human.explanation}). Ask again.`,
          { command: planned, outcome: { status: "failed", executionId: "", error: human } },
        );
      }
    }
    const request: ExecuteRequest = {
      ...pending.payload.request,
      confirmed: true,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    };
    const resources = (request.resourceIds ?? [])
      .map((rid) => this.state.getResource(rid))
      .filter((r): r is ResourceSnapshot => r !== undefined)
      .map(brief);
    return this.run(request, intent, values, planned, resources, [], context, true);
  }

  private async run(
    request: ExecuteRequest,
    intent: IntentResult,
    values: ExtractedValues,
    planned: PlannedCommand,
    resources: readonly { id: string; name?: string; type: string }[],
    ambiguities: readonly Ambiguity[],
    context: MessageContext,
    confirmed: boolean,
  ): Promise<ConversationResponse> {
    let outcome: ExecutionOutcome;
    try {
      outcome = await this.runner.execute({
        ...request,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
    } catch (error) {
      const human = this.humanizer.humanize(error);
      return this.reply("failed", intent, values, `It could not run: ${human.explanation}`, {
        command: planned,
        resources,
        ambiguities,
        outcome: { status: "failed", executionId: "", error: human },
      });
    }
    if (outcome.status !== "succeeded")
      return this.replyToOutcome(outcome, intent, values, planned, resources, ambiguities);
    this.learnResources(outcome, planned);
    return this.reply(
      "executed",
      intent,
      values,
      `Done: ${planned.commandId} on ${planned.instanceId}${confirmed ? " (confirmed)" : ""}.`,
      {
        command: planned,
        resources,
        ambiguities,
        outcome: {
          status: outcome.status,
          executionId: outcome.executionId,
          data: toJson(outcome.result.data),
          risk: riskOf(outcome.decision),
          reasons: reasonsOf(outcome.decision),
        },
      },
    );
  }

  /** The reply to an outcome other than success (failed, cancelled, denied, invalid, pending). */
  private replyToOutcome(
    outcome: Exclude<ExecutionOutcome, { status: "succeeded" }>,
    intent: IntentResult,
    values: ExtractedValues,
    planned: PlannedCommand,
    resources: readonly { id: string; name?: string; type: string }[],
    ambiguities: readonly Ambiguity[],
  ): ConversationResponse {
    const base = { status: outcome.status, executionId: outcome.executionId };
    switch (outcome.status) {
      case "failed":
      case "cancelled": {
        const human = this.humanizer.humanize(outcome.result.error);
        const kind = outcome.status === "cancelled" ? "cancelled" : "failed";
        return this.reply(
          kind,
          intent,
          values,
          `${planned.commandId} ${outcome.status}: ${human.explanation}\n${human.remediation.map((s, i) => `${i + 1}. ${s}`).join("\n")}`,
          { command: planned, resources, ambiguities, outcome: { ...base, error: human } },
        );
      }
      case "denied": {
        const reasons = outcome.decision.reasons.filter((r) => !r.passed).map((r) => r.message);
        const risk = riskOf(outcome.decision);
        return this.reply(
          "denied",
          intent,
          values,
          `Not allowed: ${reasons.join("; ") || outcome.result.error.message}. Risk score: ${risk.score}/100 (${risk.level}).`,
          { command: planned, resources, ambiguities, outcome: { ...base, risk, reasons } },
        );
      }
      case "invalid": {
        const issues = outcome.issues.map((i) => `${i.path ?? "request"}: ${i.message}`);
        return this.reply(
          "invalid",
          intent,
          values,
          `The request was refused before running: ${issues.join("; ") || outcome.result.error.message}.`,
          {
            command: planned,
            resources,
            ambiguities,
            outcome: { ...base, error: this.humanizer.humanize(outcome.result.error), reasons: issues },
          },
        );
      }
      case "pending": {
        const risk = outcome.decision === undefined ? undefined : riskOf(outcome.decision);
        const waitingFor = outcome.pending.kind;
        const text =
          waitingFor === "approval"
            ? `This needs approval before it runs${risk === undefined ? "" : ` (risk ${risk.score}/100, ${risk.level})`}: ${outcome.pending.reason}. Approval request ${outcome.pending.approvalId ?? outcome.pending.id} is waiting.`
            : `The security gate asks for a further confirmation: ${outcome.pending.reason}.`;
        return this.reply("pending-approval", intent, values, text, {
          command: planned,
          resources,
          ambiguities,
          outcome: {
            ...base,
            pendingId: outcome.pending.id,
            waitingFor,
            ...(outcome.pending.approvalId === undefined ? {} : { approvalId: outcome.pending.approvalId }),
            ...(risk === undefined ? {} : { risk }),
          },
        });
      }
    }
  }

  private async extract(
    message: string,
    analysis: Analysis<LexWord>,
    intent: IntentResult,
    context: MessageContext,
  ): Promise<{ values: ExtractedValues; ambiguities: readonly ParameterAmbiguity[] }> {
    const offline = this.extractor.extractAnalysis(analysis, { operation: intent.operation });
    if (this.model?.extract === undefined || intent.outOfScope) return offline;
    const model = this.model;
    const raw = await callModel(
      (signal) =>
        (model.extract as NonNullable<LanguageModelAdapter["extract"]>)(
          message,
          { operation: intent.operation },
          signal,
        ),
      this.modelTimeoutMs,
      context.signal,
    );
    const values = valuesFromModel(raw);
    return values === undefined
      ? offline
      : { values: { ...offline.values, ...values }, ambiguities: offline.ambiguities };
  }

  private resolveResources(
    analysis: Analysis<LexWord>,
    values: ExtractedValues,
    convo: ConversationState,
    environment: string,
  ): { resources: ResourceSnapshot[]; ambiguity?: { question: string; ambiguity: Ambiguity } } {
    const known = this.state.snapshotResources();
    const refs: string[] = [];
    if (values.resourceId !== undefined) refs.push(values.resourceId);
    if (values.name !== undefined) refs.push(values.name);
    if (values.names !== undefined) refs.push(...values.names);
    let pronoun = false;
    for (const t of analysis.tokens)
      if (!t.quoted && (t.lower === "it" || t.lower === "that" || t.lower === "them" || t.lower === "same"))
        pronoun = true;
    if (refs.length === 0 && known.length > 0) {
      // Plain words naming a known resource ("is payments up?").
      for (const t of analysis.tokens) {
        if (t.quoted || t.lower.length < 3) continue;
        if (this.state.hasName(t.lower)) refs.push(t.lower);
      }
    }
    const out: ResourceSnapshot[] = [];
    if (refs.length === 0 && pronoun) return this.resolveFromContext(known, convo);
    for (const ref of refs) {
      const r = this.resolver.resolve(ref, {
        resources: known,
        environment,
        ...(values.resourceType === undefined ? {} : { type: values.resourceType }),
        recent: convo.recent,
        suggest: false,
      });
      if (r.status === "resolved") out.push(r.resource);
      else if (r.status === "ambiguous") {
        return {
          resources: out,
          ambiguity: {
            question: r.question,
            ambiguity: { kind: "resource", reference: ref, candidates: r.candidates.map(brief) },
          },
        };
      }
      // not found: the name is passed to the command as given (it may create it)
    }
    return { resources: out };
  }

  /** "restart it": the last resource this conversation mentioned. */
  private resolveFromContext(
    known: readonly ResourceSnapshot[],
    convo: ConversationState,
  ): { resources: ResourceSnapshot[] } {
    const out: ResourceSnapshot[] = [];
    const r = this.resolver.resolveFromContext({ resources: known, recent: convo.recent });
    if (r.status === "resolved") out.push(r.resource);
    return { resources: out };
  }

  private findCommand(
    operation: Operation,
    values: ExtractedValues,
    preferredInstance: string | undefined,
  ):
    | { kind: "none" }
    | { kind: "ambiguous"; candidates: { instanceId: string; commandId: string }[] }
    | { kind: "found"; instanceId: string; command: CommandDefinition } {
    const category = OPERATIONS[operation].category;
    // The best score and every command that reaches it (an array only when there is a tie).
    let bestScore = -Infinity;
    let bestInstance = "";
    let bestCommand: CommandDefinition | undefined;
    let tied: { instanceId: string; commandId: string }[] | undefined;
    for (const inst of this.catalogue.listInstances()) {
      if (inst.state !== "active" && inst.state !== "ready") continue;
      for (const command of this.catalogue.listCommands(inst.instanceId) ?? []) {
        if (!operationsServedBy(command).has(operation)) continue;
        let score = command.category === category ? 13 : 10;
        if (values.resourceType !== undefined) {
          if (command.resourceTypes.includes(values.resourceType as never)) score += 5;
          else if (command.resourceTypes.length > 0) score -= 4;
        }
        if (inst.instanceId === preferredInstance) score += 2;
        if (score > bestScore) {
          bestScore = score;
          bestInstance = inst.instanceId;
          bestCommand = command;
          tied = undefined;
        } else if (score === bestScore) {
          tied ??= [{ instanceId: bestInstance, commandId: (bestCommand as CommandDefinition).id }];
          tied.push({ instanceId: inst.instanceId, commandId: command.id });
        }
      }
    }
    if (bestCommand === undefined) return { kind: "none" };
    if (tied !== undefined) return { kind: "ambiguous", candidates: tied };
    return { kind: "found", instanceId: bestInstance, command: bestCommand };
  }

  private learnResources(outcome: ExecutionOutcome & { status: "succeeded" }, planned: PlannedCommand): void {
    for (const id of outcome.result.affectedResources) {
      if (this.state.getResource(id) === undefined) {
        const name = typeof planned.params["name"] === "string" ? planned.params["name"] : undefined;
        this.state.upsertResource({
          id,
          type: "custom",
          instanceId: planned.instanceId,
          environment: planned.environment,
          updatedAt: Date.now(),
          ...(name === undefined ? {} : { name }),
        });
      }
    }
  }

  private helpText(): string {
    const lines: string[] = [];
    for (const inst of this.catalogue.listInstances()) {
      const commands = this.catalogue.listCommands(inst.instanceId) ?? [];
      if (commands.length > 0) lines.push(`${inst.instanceId}: ${commands.map((c) => c.id).join(", ")}`);
    }
    return `Ask in plain words, for example "list the buckets in prod" or "scale web to 5". Available commands:\n${lines.join("\n") || "(no active provider instances)"}`;
  }

  private providersText(): string {
    const providers = this.catalogue.listProviders();
    const instances = this.catalogue.listInstances();
    const active = instances.filter((i) => i.state === "active");
    const healthy = active.filter((i) => i.health === "healthy").length;
    return `The infrastructure framework has ${providers.length} registered ${providers.length === 1 ? "factory" : "factories"} and ${active.length} active ${active.length === 1 ? "instance" : "instances"}${active.length === 0 ? "" : ` (${healthy} healthy)`}.`;
  }

  private async safeSession(
    sessionId: string,
  ): Promise<{ environment: string; instanceId?: string } | undefined> {
    if (this.sessions === undefined) return undefined;
    try {
      const s = await this.sessions.getSession(sessionId);
      return s === undefined
        ? undefined
        : { environment: s.environment, ...(s.instanceId === undefined ? {} : { instanceId: s.instanceId }) };
    } catch {
      return undefined;
    }
  }

  private conversation(id: string): ConversationState {
    const key = typeof id === "string" ? id : "";
    let c = this.conversations.get(key);
    if (c !== undefined) {
      this.conversations.delete(key);
      this.conversations.set(key, c);
      return c;
    }
    c = { last: undefined, recent: [], pendingConfirmation: undefined, clarifying: undefined };
    this.conversations.set(key, c);
    while (this.conversations.size > this.maxConversations) {
      const oldest = this.conversations.keys().next().value;
      if (oldest === undefined) break;
      this.endConversation(oldest);
    }
    return c;
  }

  private reply(
    kind: ResponseKind,
    intent: IntentResult,
    values: ExtractedValues,
    response: string,
    extra: {
      ambiguities?: readonly Ambiguity[];
      confirmation?: ConfirmationRequest;
      command?: PlannedCommand;
      outcome?: OutcomeSummary;
      resources?: readonly { id: string; name?: string; type: string }[];
    } = {},
  ): ConversationResponse {
    return {
      kind,
      intent,
      parameters: values,
      ambiguities: extra.ambiguities ?? [],
      response,
      confirmation: extra.confirmation ?? null,
      command: extra.command ?? null,
      outcome: extra.outcome ?? null,
      resources: extra.resources ?? [],
    };
  }
}

const servedCache = new WeakMap<CommandDefinition, ReadonlySet<Operation>>();

/**
 * The operations a command serves: those with a verb among the stems of the words of its id and
 * name (computed once per definition object).
 */
function operationsServedBy(command: CommandDefinition): ReadonlySet<Operation> {
  let served = servedCache.get(command);
  if (served === undefined) {
    const words = `${command.id} ${command.name}`
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .map((w) => stem(w));
    const set = new Set<Operation>();
    for (const [op, verbs] of Object.entries(COMMAND_VERB_STEMS) as [Operation, readonly string[]][])
      if (verbs.some((v) => words.includes(v))) set.add(op);
    served = set;
    servedCache.set(command, served);
  }
  return served;
}

/** Waits for `promise`, or `ms` at most (the timer is cleared either way): true when it settled in time; its rejection is thrown. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function brief(r: ResourceSnapshot): { id: string; name?: string; type: string } {
  return { id: r.id, type: r.type, ...(r.name === undefined ? {} : { name: r.name }) };
}

// The helpers below build their arrays one element at a time, always with the same element and
// object shapes: arrays of mixed origin (literals, spreads, maps) made the manager's optimised code
// bail out and recompile again and again.

/** Confirmation targets named in the message (ids first). */
function nameTargets(values: ExtractedValues): { id: string; name?: string; type?: string }[] {
  const out: { id: string; name?: string; type?: string }[] = [];
  if (values.resourceId !== undefined) out.push({ id: values.resourceId, name: values.resourceId });
  if (values.names !== undefined) for (const n of values.names) out.push({ id: n, name: n });
  else if (values.name !== undefined) out.push({ id: values.name, name: values.name });
  return out;
}

/** Confirmation targets of resolved resources. */
function resourceTargets(
  resources: readonly ResourceSnapshot[],
): { id: string; name?: string; type?: string }[] {
  const out: { id: string; name?: string; type?: string }[] = [];
  for (const r of resources)
    out.push(r.name === undefined ? { id: r.id, type: r.type } : { id: r.id, type: r.type, name: r.name });
  return out;
}

/** The conversation's recent resource ids: these first, then the earlier ones, ten at most. */
function recentWith(resources: readonly ResourceSnapshot[], recent: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of resources) if (out.length < 10 && !out.includes(r.id)) out.push(r.id);
  for (const id of recent) if (out.length < 10 && !out.includes(id)) out.push(id);
  return out;
}

function plannedOf(request: ExecuteRequest): PlannedCommand {
  return {
    instanceId: request.instanceId,
    commandId: request.commandId,
    params: (request.params ?? {}) as Readonly<Record<string, unknown>>,
    environment: request.environment ?? "development",
  };
}

function toRequest(p: PendingConfirmation<Payload>): ConfirmationRequest {
  return {
    id: p.id,
    level: p.level,
    ...(p.expectedText === undefined ? {} : { expectedText: p.expectedText }),
    prompt: p.prompt,
    summary: p.summary,
    expiresAt: p.expiresAt,
  };
}

/** The messages of a decision's reasons (built with a loop: one array shape). */
function reasonsOf(decision: { readonly reasons: readonly { readonly message: string }[] }): string[] {
  const out: string[] = [];
  for (const r of decision.reasons) out.push(r.message);
  return out;
}

function riskOf(decision: { readonly risk: { readonly score: number; readonly level: string } }): {
  score: number;
  level: string;
} {
  return { score: decision.risk.score, level: decision.risk.level };
}

function toJson(value: unknown): unknown {
  // What a JSON round trip would give, without one: most commands answer a primitive.
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
  try {
    return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
  } catch (error) {
    return { unserializable: toError(error).message };
  }
}

/** How a declared parameter is read from canonical values (derived from its name once). */
interface ParameterReading {
  /** The name lower-cased, letters and digits only. */
  readonly key: string;
  /** The name is a resource id (`instanceId`, `target` …). */
  readonly idLike: boolean;
  /** Canonical values the name stands for, in `PARAM_SYNONYMS` order. */
  readonly canonicals: readonly string[];
  /** The name starts like a name parameter (`names`, `instanceIds` …): an array takes every name. */
  readonly takesNames: boolean;
}

const readingCache = new WeakMap<CommandDefinition["parameters"][number], ParameterReading>();

function readingOf(p: CommandDefinition["parameters"][number]): ParameterReading {
  let reading = readingCache.get(p);
  if (reading === undefined) {
    const key = lowerKey(p.name);
    reading = {
      key,
      idLike: PARAM_SYNONYMS["resourceId"]?.includes(key) ?? false,
      canonicals: PARAM_SYNONYM_ENTRIES.filter(([, synonyms]) => synonyms.includes(key)).map(([c]) => c),
      takesNames: PARAM_SYNONYMS["name"]?.some((s) => key.startsWith(s)) ?? false,
    };
    readingCache.set(p, reading);
  }
  return reading;
}

/** Maps canonical values onto a command's declared parameters (by name and synonyms, converting types). */
export function mapParameters(
  command: CommandDefinition,
  values: ExtractedValues,
  resources: readonly ResourceSnapshot[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let used: string[] | undefined;
  for (const p of command.parameters) {
    const reading = readingOf(p);
    const key = reading.key;
    if (p.type === "resource-ref" || (p.type === "string" && reading.idLike && resources.length > 0)) {
      const r =
        resources.find((x) => p.resourceType === undefined || x.type === p.resourceType) ?? resources[0];
      if (r !== undefined) out[p.name] = r.id;
      else if (values.resourceId !== undefined) out[p.name] = values.resourceId;
      else if (values.name !== undefined) out[p.name] = values.name;
      continue;
    }
    let picked: unknown;
    for (const canonical of reading.canonicals) {
      if (used !== undefined && used.includes(canonical)) continue;
      const v = (values as Record<string, unknown>)[canonical];
      if (v === undefined) continue;
      picked = convert(v, p.type, key);
      if (picked !== undefined) {
        (used ??= []).push(canonical);
        break;
      }
    }
    if (picked === undefined && p.type === "array" && values.names !== undefined && reading.takesNames)
      picked = values.names;
    if (picked !== undefined) out[p.name] = picked;
  }
  return out;
}

function convert(v: unknown, type: string, key: string): unknown {
  if (type === "number") {
    if (typeof v !== "number") return undefined;
    if (key.endsWith("gb") && key.startsWith("memory")) return v / 1024;
    return v;
  }
  if (type === "string" || type === "file")
    return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
  if (type === "boolean") return typeof v === "boolean" ? v : undefined;
  if (type === "array") return Array.isArray(v) ? v : [v];
  return v;
}
