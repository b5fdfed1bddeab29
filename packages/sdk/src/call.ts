import type { CommandResult, ExecutionContext } from "@espada/infra-core";
import type { CommandImplementation, InputOf, ProviderCommand } from "./defineCommand.js";

/** The id of a command (a literal type when built with `defineCommand().id("…")`). */
export type CommandIdOf<C> = C extends { readonly definition: { readonly id: infer Id extends string } }
  ? Id
  : C extends { readonly id: infer Id extends string }
    ? Id
    : never;

/** The command of the list `Cs` whose id is `Id`. */
export type CommandWithId<Cs extends readonly unknown[], Id extends string> = Extract<
  Cs[number],
  { readonly definition: { readonly id: Id } } | { readonly id: Id }
>;

/** What a caller passes to a command (its `InputOf`): required params without a default are mandatory. */
export type CallInputOf<C> = C extends { readonly definition: infer D } ? InputOf<D> : InputOf<C>;

/** The data of a command's success: what its typed handler returns, `unknown` for a bare definition. */
export type ResultDataOf<C> =
  C extends CommandImplementation<infer _P, infer _I, infer R, infer _Id> ? R : unknown;

/** Runs a command by id — `provider.executeCommand`, an in-memory host's `execute`, or an executor call. */
export type CommandRunner = (
  commandId: string,
  params: Record<string, unknown>,
  context?: Partial<ExecutionContext>,
) => Promise<CommandResult>;

/**
 * Calls the commands `Cs` with checks at compile time: the id must be one of theirs, the params must
 * fit that command's declaration, and a success's `data` has the type its handler returns.
 */
export interface CommandClient<Cs extends readonly ProviderCommand[]> {
  /** Runs command `id` with `params` (and an optional context); resolves to its result, never throws for an expected failure. */
  call<const Id extends CommandIdOf<Cs[number]>>(
    id: Id,
    params: CallInputOf<CommandWithId<Cs, Id>>,
    context?: Partial<ExecutionContext>,
  ): Promise<CommandResult<ResultDataOf<CommandWithId<Cs, Id>>>>;
}

/**
 * A typed client over `commands`, running each call with `run` — `provider.executeCommand.bind(provider)`,
 * an in-memory host's `execute`, or any function that reaches a provider (through the executor, say).
 *
 * @example
 * ```ts
 * import { createCommandClient, createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
 *
 * const meta = defineProvider().id("calc").name("Calc").version("1.0.0").category("custom").authMethods("custom").build();
 * const add = defineCommand().id("add").name("Add").category("utility")
 *   .numberParam("a", "First", { required: true }).numberParam("b", "Second", { default: 1 })
 *   .handler((params) => success({ sum: params.a + params.b }));
 * const provider = createSimpleProvider({ meta, commands: [add] });
 * await provider.initialize({ method: "custom", credentials: {}, options: {} });
 * await provider.start();
 * const client = createCommandClient([add], (id, params, ctx) => provider.executeCommand(id, params, ctx));
 * const result = await client.call("add", { a: 2 }); // client.call("add", { a: "2" }) does not compile
 * if (result.success) console.log(result.data.sum); // 3 — data is { sum: number }
 * ```
 */
export function createCommandClient<const Cs extends readonly ProviderCommand[]>(
  commands: Cs,
  run: CommandRunner,
): CommandClient<Cs> {
  void commands; // type-level only: the ids and param types come from here
  return {
    call: (id, params, context) => run(id, params, context) as never,
  };
}
