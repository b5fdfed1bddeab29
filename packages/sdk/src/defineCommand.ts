import { commandDefinitionSchema, tieredSafeParse } from "@espada/infra-core/authoring";
import type {
  CommandCategory,
  CommandDefinition,
  CommandParameter,
  CommandResult,
  EstimatedCost,
  ExecutionContext,
  InfrastructureLogger,
  ParameterType,
  ProviderCapability,
  ResourceType,
  ValidationIssue,
} from "@espada/infra-core";
import { InfrastructureCommandValidator, ValidationError } from "@espada/infra-core/authoring";
import { schemaIssuesToError } from "./issues.js";
import type { ResourceTracker } from "./resourceTracker.js";
import type {
  AddParam,
  AlwaysPresent,
  ArrayParamOptions,
  ArrayValueOf,
  BooleanParamOptions,
  CallerMustPass,
  EnumDefault,
  FileParamOptions,
  NoParams,
  NumberParamOptions,
  ObjectParamOptions,
  ResourceRefParamOptions,
  SecretParamOptions,
  StringParamOptions,
  ValueOf,
} from "./paramTypes.js";

declare const paramTypes: unique symbol;
declare const resultType: unique symbol;

/**
 * A core {@link CommandDefinition} that also carries, at the type level only, the params its
 * handler receives (`P`: required or defaulted parameters are non-optional) and the params a
 * caller passes (`I`: only required parameters without a default are mandatory).
 */
export type TypedCommandDefinition<
  P = Record<string, unknown>,
  I = P,
  Id extends string = string,
> = CommandDefinition & {
  /** The command id, as a literal type when built with `defineCommand().id("…")`. */
  readonly id: Id;
  readonly [paramTypes]?: { readonly params: P; readonly input: I };
};

/** The params a command's handler receives (`Record<string, unknown>` for an untyped definition). */
export type ParamsOf<D> = D extends { readonly [paramTypes]?: { readonly params: infer P } }
  ? unknown extends P
    ? Record<string, unknown>
    : P
  : Record<string, unknown>;

/** The params a caller passes to a command (`Record<string, unknown>` for an untyped definition). */
export type InputOf<D> = D extends { readonly [paramTypes]?: { readonly input: infer I } }
  ? unknown extends I
    ? Record<string, unknown>
    : I
  : Record<string, unknown>;

/**
 * A typed command handler: validated params with defaults filled, the run's context, `logger` —
 * the provider's logger scoped with `commandId` and the run's `executionId` (the caller's, or the
 * generated one) — and `resources`, the provider's {@link ResourceTracker} (`update`/`remove`/`list`
 * feed `getResources()`). Use `logger` for the provider's own log; `context.logger` is the caller's
 * run logger (the same logger unless the caller passed one, as `createTestContext` does). Honour
 * `context.signal` in long work and report steps through `context.progress`.
 */
export type CommandHandler<P, R = unknown> = (
  params: P,
  context: ExecutionContext,
  logger: InfrastructureLogger,
  resources: ResourceTracker,
) => CommandResult<R> | Promise<CommandResult<R>>;

/**
 * A command definition together with the typed handler that runs it. `R` is the type of the data a
 * success carries (inferred from the handler), `Id` the command id as a literal type.
 */
export interface CommandImplementation<
  P = Record<string, unknown>,
  I = P,
  R = unknown,
  Id extends string = string,
> {
  /** The definition the provider advertises. */
  readonly definition: TypedCommandDefinition<P, I, Id>;
  /** Type-level only: the data of a success. */
  readonly [resultType]?: R;
  /**
   * Runs the command; the provider has already validated `params` and filled their defaults, and
   * passes its own resource tracker (in a test, `createResourceTracker()`).
   */
  handle(
    params: P,
    context: ExecutionContext,
    logger: InfrastructureLogger,
    resources: ResourceTracker,
  ): CommandResult | Promise<CommandResult>;
}

/**
 * The data type of the successes a handler returns: the union over every `success(…)` it may
 * return, `never` when it only fails.
 */
export type SuccessDataOf<Ret> =
  Awaited<Ret> extends infer Result
    ? Result extends { readonly success: true; readonly data: infer T }
      ? T
      : never
    : never;

/** Anything a provider accepts as a command: a bare definition, or a definition with its handler. */
export type ProviderCommand =
  CommandDefinition | CommandImplementation<Record<string, unknown>, Record<string, unknown>>;

/** True when `command` carries its own handler. */
export function isCommandImplementation(
  command: ProviderCommand,
): command is CommandImplementation<Record<string, unknown>, Record<string, unknown>> {
  return "definition" in command && "handle" in command && typeof command.handle === "function";
}

/** Pairs a typed definition with its handler; the handler's `params` type comes from the definition, the result's data type from the handler. */
export function implementCommand<
  P,
  I,
  Id extends string,
  const Ret extends CommandResult | Promise<CommandResult>,
>(
  definition: TypedCommandDefinition<P, I, Id>,
  handler: (
    params: P,
    context: ExecutionContext,
    logger: InfrastructureLogger,
    resources: ResourceTracker,
  ) => Ret | Promise<CommandResult>,
): CommandImplementation<P, I, SuccessDataOf<Ret>, Id> {
  if (typeof handler !== "function") {
    throw new ValidationError(`Command "${definition.id}": handler must be a function`, [
      { code: "TYPE_MISMATCH", message: "handler must be a function", path: "handler" },
    ]);
  }
  return {
    definition,
    handle: (params, context, logger, resources) => handler(params, context, logger, resources),
  };
}

interface ParamDraft {
  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
  readonly required: boolean;
  readonly sensitive: boolean;
  readonly default?: unknown;
  readonly pattern?: string | RegExp;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly (string | number | boolean)[];
  readonly items?: ParameterType;
  readonly resourceType?: ResourceType;
}

interface CommandDraft {
  readonly id?: string;
  readonly name?: string;
  readonly description?: string;
  readonly category?: CommandCategory;
  readonly parameters: readonly ParamDraft[];
  readonly requiredCapabilities: readonly ProviderCapability[];
  readonly supportsDryRun?: boolean;
  readonly dangerous?: boolean;
  readonly examples: readonly {
    readonly description: string;
    readonly params: Readonly<Record<string, unknown>>;
  }[];
  readonly timeout?: number;
  readonly resourceTypes: readonly ResourceType[];
  readonly estimatedCost?: {
    readonly amount: number;
    readonly currency?: string;
    readonly period?: EstimatedCost["period"];
  };
}

const EMPTY_DRAFT: CommandDraft = {
  parameters: [],
  requiredCapabilities: [],
  examples: [],
  resourceTypes: [],
};

/** Options every typed param method may receive, before normalisation. */
type AnyParamOptions = {
  readonly required?: boolean;
  readonly default?: unknown;
  readonly sensitive?: boolean;
  readonly pattern?: string | RegExp;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly (string | number | boolean)[];
  readonly items?: ParameterType;
  readonly resourceType?: ResourceType;
};

/**
 * Fluent, immutable builder of a command definition. Each param method adds the parameter to the
 * builder's type, so `build()` yields a {@link TypedCommandDefinition} whose handler params are
 * typed, and `.handler(fn)` yields a {@link CommandImplementation} with `fn`'s params inferred.
 */
export class CommandBuilder<P = NoParams, I = NoParams, Id extends string = string> {
  readonly #draft: CommandDraft;

  /** Starts from a draft; prefer {@link defineCommand}. */
  constructor(draft: CommandDraft = EMPTY_DRAFT) {
    this.#draft = draft;
  }

  #with(patch: Partial<CommandDraft>): CommandBuilder<P, I, Id> {
    return new CommandBuilder<P, I, Id>({ ...this.#draft, ...patch });
  }

  #param<P2, I2>(
    type: ParameterType,
    name: string,
    description: string,
    options: AnyParamOptions = {},
  ): CommandBuilder<P2, I2, Id> {
    const param: ParamDraft = {
      ...options,
      name,
      type,
      description,
      required: options.required ?? false,
      sensitive: type === "secret" || (options.sensitive ?? false),
    };
    return new CommandBuilder<P2, I2, Id>({ ...this.#draft, parameters: [...this.#draft.parameters, param] });
  }

  /** Unique id within the provider (`create-instance`). Required; kept as a literal type for typed calls. */
  id<const N extends string>(id: N): CommandBuilder<P, I, N> {
    return new CommandBuilder<P, I, N>({ ...this.#draft, id });
  }
  /** Human-readable name. Required. */
  name(name: string): CommandBuilder<P, I, Id> {
    return this.#with({ name });
  }
  /** What the command does. */
  description(description: string): CommandBuilder<P, I, Id> {
    return this.#with({ description });
  }
  /** Command category (`provision`, `manage`, `monitor`, `security`, `cost`, `utility`). Required. */
  category(category: CommandCategory): CommandBuilder<P, I, Id> {
    return this.#with({ category });
  }

  /** Adds a string parameter; an `enum` narrows its type to the literal union (a `default` must be one of its values). */
  stringParam<
    const N extends string,
    const O extends StringParamOptions & EnumDefault<E> = NoParams,
    const E extends string = string,
  >(
    name: N,
    description: string,
    options?: O & { readonly enum?: readonly E[] },
  ): CommandBuilder<
    AddParam<P, N, ValueOf<O, string>, AlwaysPresent<O>>,
    AddParam<I, N, ValueOf<O, string>, CallerMustPass<O>>,
    Id
  > {
    return this.#param("string", name, description, options);
  }
  /** Adds a number parameter (finite numbers only); `min`/`max` bound the value, an `enum` narrows its type (and its `default`). */
  numberParam<
    const N extends string,
    const O extends NumberParamOptions & EnumDefault<E> = NoParams,
    const E extends number = number,
  >(
    name: N,
    description: string,
    options?: O & { readonly enum?: readonly E[] },
  ): CommandBuilder<
    AddParam<P, N, ValueOf<O, number>, AlwaysPresent<O>>,
    AddParam<I, N, ValueOf<O, number>, CallerMustPass<O>>,
    Id
  > {
    return this.#param("number", name, description, options);
  }
  /** Adds a boolean parameter. */
  booleanParam<const N extends string, const O extends BooleanParamOptions = NoParams>(
    name: N,
    description: string,
    options?: O,
  ): CommandBuilder<
    AddParam<P, N, boolean, AlwaysPresent<O>>,
    AddParam<I, N, boolean, CallerMustPass<O>>,
    Id
  > {
    return this.#param("boolean", name, description, options);
  }
  /** Adds an array parameter; `items` types its elements, `min`/`max` bound its length. */
  arrayParam<const N extends string, const O extends ArrayParamOptions = NoParams>(
    name: N,
    description: string,
    options?: O,
  ): CommandBuilder<
    AddParam<P, N, ArrayValueOf<O>, AlwaysPresent<O>>,
    AddParam<I, N, ArrayValueOf<O>, CallerMustPass<O>>,
    Id
  > {
    return this.#param("array", name, description, options);
  }
  /** Adds an object parameter (a plain JSON object). */
  objectParam<const N extends string, const O extends ObjectParamOptions = NoParams>(
    name: N,
    description: string,
    options?: O,
  ): CommandBuilder<
    AddParam<P, N, Record<string, unknown>, AlwaysPresent<O>>,
    AddParam<I, N, Record<string, unknown>, CallerMustPass<O>>,
    Id
  > {
    return this.#param("object", name, description, options);
  }
  /** Adds a file parameter: a path string. */
  fileParam<const N extends string, const O extends FileParamOptions = NoParams>(
    name: N,
    description: string,
    options?: O,
  ): CommandBuilder<AddParam<P, N, string, AlwaysPresent<O>>, AddParam<I, N, string, CallerMustPass<O>>, Id> {
    return this.#param("file", name, description, options);
  }
  /** Adds a secret parameter: a string that is always sensitive (redacted everywhere). */
  secretParam<const N extends string, const O extends SecretParamOptions = NoParams>(
    name: N,
    description: string,
    options?: O,
  ): CommandBuilder<AddParam<P, N, string, AlwaysPresent<O>>, AddParam<I, N, string, CallerMustPass<O>>, Id> {
    return this.#param("secret", name, description, options);
  }
  /** Adds a resource-reference parameter: the id of a resource, optionally of one `resourceType`. */
  resourceRefParam<const N extends string, const O extends ResourceRefParamOptions = NoParams>(
    name: N,
    description: string,
    options?: O,
  ): CommandBuilder<AddParam<P, N, string, AlwaysPresent<O>>, AddParam<I, N, string, CallerMustPass<O>>, Id> {
    return this.#param("resource-ref", name, description, options);
  }

  /** Capabilities the provider must have to run it; repeated calls add to the list. */
  requiredCapabilities(...capabilities: ProviderCapability[]): CommandBuilder<P, I, Id> {
    return this.#with({ requiredCapabilities: [...this.#draft.requiredCapabilities, ...capabilities] });
  }
  /** Declares that the command can simulate (`context.dryRun`); without it a dry run is refused. */
  supportsDryRun(supported = true): CommandBuilder<P, I, Id> {
    return this.#with({ supportsDryRun: supported });
  }
  /** Marks the command dangerous: it runs only with explicit confirmation. */
  dangerous(dangerous = true): CommandBuilder<P, I, Id> {
    return this.#with({ dangerous });
  }
  /** Adds a usage example; its params are checked against the parameters declared so far. */
  example(description: string, params: I): CommandBuilder<P, I, Id> {
    return this.#with({
      examples: [
        ...this.#draft.examples,
        { description, params: params as Readonly<Record<string, unknown>> },
      ],
    });
  }
  /** Per-command timeout in ms (overrides the configured default). */
  timeout(ms: number): CommandBuilder<P, I, Id> {
    return this.#with({ timeout: ms });
  }
  /**
   * What one run is estimated to cost (checked by core's `estimatedCostSchema`: amount ≥ 0, ISO 4217
   * currency, default `USD`, period `once`); it reaches the security gate as `estimatedCost`.
   */
  estimatedCost(
    amount: number,
    options: { readonly currency?: string; readonly period?: EstimatedCost["period"] } = {},
  ): CommandBuilder<P, I, Id> {
    return this.#with({ estimatedCost: { amount, ...options } });
  }
  /** Resource types the command touches; repeated calls add to the list. */
  resourceTypes(...types: ResourceType[]): CommandBuilder<P, I, Id> {
    return this.#with({ resourceTypes: [...this.#draft.resourceTypes, ...types] });
  }

  /**
   * Validates and returns the definition.
   * @throws ValidationError naming every missing or invalid field (`id is required`, a parameter
   * declared twice, a pattern that does not compile, `min` greater than `max`, a default or an example that breaks the
   * declared constraints).
   */
  build(): TypedCommandDefinition<P, I, Id> {
    const draft = this.#draft;
    const issues: ValidationIssue[] = [];
    const parameters = draft.parameters.map((p, index) => normaliseParam(p, `parameters[${index}]`, issues));
    const input = {
      ...draft,
      parameters,
      requiredCapabilities: [...new Set(draft.requiredCapabilities)],
      resourceTypes: [...new Set(draft.resourceTypes)],
    };
    const parsed = tieredSafeParse(commandDefinitionSchema, input, { reportInput: true });
    if (parsed.success) {
      const definition = parsed.data;
      // Core's validator reports problems of the definition itself (duplicate names, patterns that
      // do not compile, defaults that break their own constraints) and checks each example's params.
      const validator = getValidator();
      const own = validator
        .validate(definition, {}, { confirmed: true })
        .errors.filter((i) => i.code === "INVALID_DEFINITION");
      issues.push(
        ...own.map((i) => ({
          ...i,
          ...(i.path === undefined ? {} : { path: i.path.replace(/^command\./, "") }),
        })),
      );
      definition.examples.forEach((example, index) => {
        for (const issue of validator.validate(definition, example.params, { confirmed: true }).errors) {
          if (issue.code === "INVALID_DEFINITION") continue;
          const path = `examples[${index}].${issue.path ?? "params"}`;
          issues.push({ code: issue.code, message: `${path}: ${issue.message}`, path });
        }
      });
      if (issues.length === 0) return definition as TypedCommandDefinition<P, I, Id>;
    } else {
      issues.unshift(...schemaIssuesToError("command definition", parsed.error.issues).issues);
    }
    const label =
      draft.id === undefined ? "Invalid command definition" : `Invalid command definition "${draft.id}"`;
    throw new ValidationError(`${label}: ${issues.map((i) => i.message).join("; ")}`, issues);
  }

  /**
   * Builds the definition and pairs it with a handler whose `params` are typed from the builder; the
   * data of the handler's success becomes the `data` type of a typed call.
   */
  handler<const Ret extends CommandResult | Promise<CommandResult>>(
    // `| Promise<CommandResult>` only gives `new Promise((resolve) => …)` its contextual type
    fn: (
      params: P,
      context: ExecutionContext,
      logger: InfrastructureLogger,
      resources: ResourceTracker,
    ) => Ret | Promise<CommandResult>,
  ): CommandImplementation<P, I, SuccessDataOf<Ret>, Id> {
    return implementCommand(this.build(), fn);
  }
}

function normaliseParam(p: ParamDraft, path: string, issues: ValidationIssue[]): CommandParameter {
  let pattern: string | undefined;
  if (p.pattern instanceof RegExp) {
    pattern = p.pattern.source;
    if (p.pattern.flags.replace(/[uv]/g, "") !== "") {
      issues.push({
        code: "PATTERN_FLAGS",
        message: `${path}.pattern: flags "${p.pattern.flags}" are not supported; write them into the pattern`,
        path: `${path}.pattern`,
      });
    }
  } else {
    pattern = p.pattern;
  }
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
    issues.push({
      code: "INVALID_DEFINITION",
      message: `parameter "${p.name}": min ${p.min} is greater than max ${p.max}; no value can pass`,
      path: `${path}.max`,
    });
  }
  const param: CommandParameter = {
    name: p.name,
    type: p.type,
    description: p.description,
    required: p.required,
    sensitive: p.sensitive,
    ...(p.default === undefined ? {} : { default: p.default }),
    ...(pattern === undefined ? {} : { pattern }),
    ...(p.min === undefined ? {} : { min: p.min }),
    ...(p.max === undefined ? {} : { max: p.max }),
    ...(p.enum === undefined ? {} : { enum: [...p.enum] }),
    ...(p.items === undefined ? {} : { items: p.items }),
    ...(p.resourceType === undefined ? {} : { resourceType: p.resourceType }),
  };
  return param;
}

let sharedValidator: InfrastructureCommandValidator | undefined;

/** The validator `build()` checks definitions and examples with, created on first use. */
function getValidator(): InfrastructureCommandValidator {
  sharedValidator ??= new InfrastructureCommandValidator();
  return sharedValidator;
}

/**
 * Starts a command builder: `defineCommand().id("create-instance")….stringParam(…)….build()`.
 *
 * @example
 * ```ts
 * import { defineCommand, success } from "@espada/infra-sdk";
 *
 * const resize = defineCommand().id("resize").name("Resize").category("manage")
 *   .resourceRefParam("instance", "Instance", { required: true, resourceType: "compute" })
 *   .numberParam("cpu", "CPU count", { required: true, min: 1, max: 64 })
 *   .supportsDryRun()
 *   .handler((params, ctx) => success({ instance: params.instance, cpu: params.cpu, applied: !ctx.dryRun }));
 * console.log(resize.definition.id, resize.definition.parameters.map((p) => p.name)); // resize [ "instance", "cpu" ]
 * ```
 */
export function defineCommand(): CommandBuilder {
  return new CommandBuilder();
}
