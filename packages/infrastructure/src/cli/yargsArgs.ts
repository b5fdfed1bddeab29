// The standalone CLI's full parser: the command table on yargs (help, completion, strict parsing,
// suggestions). Loaded only when the quick path (quickArgs.ts) declines a command line.
import yargs from "yargs";
import type { Argv } from "yargs";
import { GLOBAL_OPTIONS } from "./quickArgs.js";
import { CLI_COMMANDS, COMMON_OPTIONS } from "./table.js";
import type { CliCommand, OptionSpec, RawArgs } from "./table.js";

const GROUP_DESCRIPTIONS: Readonly<Record<string, string>> = {
  approvals: "List, approve or reject approval requests",
  "break-glass": "Open or close emergency (break-glass) access",
  audit: "Read or verify the audit log",
};

function addOption(y: Argv, option: OptionSpec): Argv {
  const base = {
    describe: option.description,
    ...(option.alias === undefined ? {} : { alias: option.alias }),
  };
  switch (option.type) {
    case "boolean":
      return y.option(option.name, {
        ...base,
        type: "boolean",
        ...(option.negatable === true ? { default: true } : {}),
      });
    case "number":
      return y.option(option.name, { ...base, type: "number", requiresArg: true });
    case "array":
      return y.option(option.name, {
        ...base,
        type: "string",
        array: true,
        requiresArg: true,
        ...(option.placeholder === undefined
          ? {}
          : { describe: `${option.description} (${option.placeholder})` }),
      });
    default:
      return y.option(option.name, { ...base, type: "string", requiresArg: true });
  }
}

function commandLine(command: CliCommand): string {
  const leaf = command.path[command.path.length - 1] ?? "";
  return [leaf, ...command.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`))].join(" ");
}

/** The part of yargs' internal API that {@link skipHelpCaching} reaches (yargs is pinned to ~18.0.0). */
interface YargsInternals {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } };
}

/**
 * yargs renders the whole help text after every command it runs (it gives each command a no-op
 * handler when none is set) and keeps it for a later `showHelp()`, which this CLI never calls: help
 * is rendered only when asked for or on a usage error. Skipping that render saves a tenth of
 * `status`'s start-up; help output is unchanged (standalone.test.ts checks it).
 */
function skipHelpCaching(parser: Argv): void {
  const usage = (parser as unknown as YargsInternals).getInternalMethods().getUsageInstance();
  usage.cacheHelpMessage = () => undefined;
}

/**
 * The parser, with every command of the table; `select` receives the command the line names (also
 * when the line asks for that command's `--help`). Commands carry no yargs handler: yargs renders and
 * caches the whole help text after running a handler, the largest part of a command's start-up.
 */
function buildParser(argv: readonly string[], select: (command: CliCommand) => void): Argv {
  const attach = (y: Argv, command: CliCommand): Argv =>
    y.command(commandLine(command), command.description, (sub) => {
      select(command);
      let out = sub;
      for (const positional of command.positionals)
        out = out.positional(positional.name, { describe: positional.description, type: "string" });
      for (const option of command.options) out = addOption(out, option);
      for (const example of command.examples ?? []) out = out.example(`$0 ${example}`, "");
      return out;
    });

  let parser: Argv = yargs([...argv])
    .scriptName("espada-infra")
    .usage(
      "$0 <command> [options]\n\nRun and govern infrastructure providers without Espada. Configuration: ./espada.yaml (or --config, $ESPADA_INFRA_CONFIG).",
    );
  for (const option of [...GLOBAL_OPTIONS, ...COMMON_OPTIONS])
    parser = addOption(parser, option).global(option.name);
  const groups = new Map<string, CliCommand[]>();
  for (const command of CLI_COMMANDS) {
    if (command.path.length === 1) parser = attach(parser, command);
    else {
      const group = command.path[0] ?? "";
      groups.set(group, [...(groups.get(group) ?? []), command]);
    }
  }
  for (const [group, commands] of groups) {
    parser = parser.command(`${group} <action>`, GROUP_DESCRIPTIONS[group] ?? group, (sub) => {
      let out = sub;
      for (const command of commands) out = attach(out, command);
      return out.demandCommand(1, `name an action: ${commands.map((c) => c.path[1]).join(", ")}`);
    });
  }
  skipHelpCaching(parser);
  return parser
    .completion("completion", "Print a bash/zsh completion script")
    .demandCommand(1, "name a command")
    .recommendCommands()
    .strict()
    .help()
    .alias("h", "help")
    .version(false)
    .wrap(null)
    .exitProcess(false);
}

/** What yargs made of a command line. */
export type YargsOutcome =
  | { readonly kind: "command"; readonly command: CliCommand; readonly args: RawArgs }
  /** A usage error: the message, with the help text yargs printed for it (may be empty). */
  | { readonly kind: "usage"; readonly message: string; readonly help: string }
  /** `--help` or `completion`: yargs' output. */
  | { readonly kind: "output"; readonly text: string };

/** Parses `argv` (without node and the script) with yargs. */
export async function parseWithYargs(argv: readonly string[]): Promise<YargsOutcome> {
  let selected: CliCommand | undefined;
  let usageError: string | undefined;
  const parser = buildParser(argv, (command) => {
    selected = command;
  }).fail((message, error) => {
    usageError = message ?? error.message;
  });
  let parsedArgs: RawArgs;
  let helpText = "";
  try {
    parsedArgs = await parser.parseAsync([...argv], {}, (_err, _argv, output) => {
      helpText = output;
    });
  } catch (error) {
    usageError ??= error instanceof Error ? error.message : String(error);
    parsedArgs = {};
  }
  if (usageError !== undefined) return { kind: "usage", message: usageError, help: helpText };
  if (selected === undefined || helpText !== "") return { kind: "output", text: helpText };
  return { kind: "command", command: selected, args: parsedArgs };
}
