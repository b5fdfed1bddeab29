// The standalone CLI's quick path: a command line in the plainest forms is read straight from the
// command table, so running a command does not load yargs (a fifth of `espada-infra status`'s
// start-up). Anything else (help, completion, an unknown or misspelt word, a missing value, an
// unusual form) is declined and goes to the yargs parser, which stays the authority on usage.
// quickArgs.test.ts holds the two to the same result on generated command lines.
import { CLI_COMMANDS, COMMON_OPTIONS } from "./table.js";
import type { CliCommand, OptionSpec, RawArgs } from "./table.js";

/** The standalone CLI's own global options (besides the table's common ones). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: "config", type: "string", description: "Path of espada.yaml" },
  { name: "state-dir", type: "string", description: "State directory (default ./.espada-infra)" },
  { name: "verbose", type: "boolean", description: "Log framework activity to stderr" },
  {
    name: "lock-timeout",
    type: "number",
    description: "Seconds to wait for a state directory another process has locked (default 0: fail at once)",
  },
];

/** A command line the quick path read: the command and its arguments by camelCase name. */
export interface QuickArgs {
  readonly command: CliCommand;
  readonly args: RawArgs;
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A number as yargs would read it, for plain decimals only (anything else is declined). */
const PLAIN_NUMBER = /^(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,6})?$/;

/** A value token that yargs would take as a value and nothing else. */
const isPlainValue = (token: string | undefined): token is string =>
  token !== undefined && token !== "" && !token.startsWith("-");

/**
 * Reads `argv` when it names a command of the table in plain forms: the command's words first, then
 * its positionals and options as `--name value`, `--name=value`, `--flag`, `--no-flag` or a
 * one-letter alias; each option at most once (an array option once per value, never followed by a
 * bare word, which yargs would add to the array). Returns `undefined` for anything else.
 */
export function readQuickArgs(argv: readonly string[]): QuickArgs | undefined {
  const command = CLI_COMMANDS.find((c) => c.path.every((word, i) => argv[i] === word));
  if (command === undefined) return undefined;
  const options = new Map<string, OptionSpec>();
  for (const option of [...GLOBAL_OPTIONS, ...COMMON_OPTIONS, ...command.options]) {
    options.set(option.name, option);
    if (option.alias !== undefined) options.set(option.alias, option);
  }
  const args: Record<string, unknown> = {};
  const seen = new Set<string>();
  const positionals: string[] = [];
  for (let i = command.path.length; i < argv.length; i++) {
    const token = argv[i] ?? "";
    if (isPlainValue(token)) {
      positionals.push(token);
      continue;
    }
    const long = /^--([a-z][a-z-]*[a-z])(?:=(.*))?$/s.exec(token) ?? /^--([a-z])(?:=(.*))?$/s.exec(token);
    const short = long === null ? /^-([a-z])$/.exec(token) : null;
    let name = long?.[1] ?? short?.[1];
    if (name === undefined || (short !== null && name === "h")) return undefined;
    let inline = long?.[2];
    let negated = false;
    let option = options.get(name);
    if (short !== null && option?.alias !== name) return undefined;
    if (long !== null && option?.name !== name) {
      // --no-<boolean>
      const base = name.startsWith("no-") ? name.slice(3) : undefined;
      option = base === undefined ? undefined : options.get(base);
      if (option?.type !== "boolean" || option.name !== base || inline !== undefined) return undefined;
      name = base;
      negated = true;
    }
    if (option === undefined) return undefined;
    const key = camel(option.name);
    if (option.type !== "array") {
      if (seen.has(key)) return undefined;
      seen.add(key);
    }
    if (option.type === "boolean") {
      // yargs takes a following `true`/`false` as the flag's value
      if (inline !== undefined || /^(?:true|false)$/i.test(argv[i + 1] ?? "")) return undefined;
      args[key] = !negated;
      continue;
    }
    if (inline === undefined) {
      inline = argv[i + 1];
      if (!isPlainValue(inline)) return undefined;
      i += 1;
    } else if (inline === "" || inline.startsWith("-")) return undefined;
    if (option.type === "number") {
      if (!PLAIN_NUMBER.test(inline)) return undefined;
      args[key] = Number(inline);
    } else if (option.type === "array") {
      if (isPlainValue(argv[i + 1])) return undefined;
      args[key] = [...((args[key] as string[] | undefined) ?? []), inline];
    } else args[key] = inline;
  }
  const required = command.positionals.filter((p) => p.required).length;
  if (positionals.length < required || positionals.length > command.positionals.length) return undefined;
  command.positionals.forEach((positional, i) => {
    if (positionals[i] !== undefined) args[camel(positional.name)] = positionals[i];
  });
  for (const option of command.options)
    if (option.negatable === true && args[camel(option.name)] === undefined) args[camel(option.name)] = true;
  return { command, args };
}
