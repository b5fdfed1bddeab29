// The host adapter: the command table on the host's commander `program` (`openclaw infra …`,
// `espada infra …`), through `api.registerCli`. Same commands, options, output and exit codes as
// the standalone CLI.
import type { CommanderCommand, HostPluginApi } from "../host.js";
import type { InfrastructureFramework } from "../framework.js";
import { INFRA_CLI_DESCRIPTOR } from "../manifests.js";
import { CLI_COMMANDS, COMMON_OPTIONS, EXIT_CODES } from "./table.js";
import type { CliCommand, OptionSpec } from "./table.js";
import { resolveUser, runCliCommand } from "./run.js";
import type { CliIo } from "./run.js";

/** The root command name under which every command is registered. */
export const CLI_ROOT: string = INFRA_CLI_DESCRIPTOR.name;
/** Description of the root command (the manifest's `cliCommands` row says the same). */
export const CLI_ROOT_DESCRIPTION: string = INFRA_CLI_DESCRIPTOR.description;

const GROUP_DESCRIPTIONS: Readonly<Record<string, string>> = {
  approvals: "List, approve or reject approval requests",
  "break-glass": "Open or close emergency (break-glass) access",
  audit: "Read or verify the audit log",
};

/** What the commander adapter needs besides the program. */
export interface CommanderAdapterOptions {
  /** Builds a framework for one command; it is shut down when the command ends. */
  readonly openFramework: () => Promise<InfrastructureFramework>;
  readonly io?: CliIo;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Sets the process exit code (default: `process.exitCode = code`). */
  readonly setExitCode?: (code: number) => void;
  /** Ends the process on a usage error commander found (default `process.exit`). */
  readonly exit?: (code: number) => void;
}

/** The commander members used beyond the structural {@link CommanderCommand}. */
interface CommanderLike extends CommanderCommand {
  exitOverride?(handler: (error: { exitCode: number; code: string; message: string }) => void): CommanderLike;
  commands?: readonly { name(): string }[];
}

function optionFlags(option: OptionSpec): string {
  const short = option.alias === undefined ? "" : `-${option.alias}, `;
  switch (option.type) {
    case "boolean":
      return option.negatable === true ? `--no-${option.name}` : `${short}--${option.name}`;
    case "number":
      return `${short}--${option.name} <n>`;
    case "array":
      return `${short}--${option.name} <${option.placeholder ?? "value"}>`;
    default:
      return `${short}--${option.name} <value>`;
  }
}

const collect = (value: string, previous: unknown): string[] => [
  ...(Array.isArray(previous) ? (previous as string[]) : []),
  value,
];

function addOption(command: CommanderLike, option: OptionSpec): void {
  const flags = optionFlags(option);
  if (option.type === "array") {
    // commander's (flags, description, parser, default) form
    (
      command.option as (
        flags: string,
        description: string,
        parser: (v: string, p: unknown) => unknown,
        def: unknown,
      ) => unknown
    )(flags, option.description, collect, []);
  } else {
    command.option(flags, option.description);
  }
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Adds `infra` and its commands to a commander program. Each action runs the table's command,
 * prints its result and sets the exit code (0 ok, 1 failure, 2 usage); commander's own usage
 * errors (unknown option, missing argument) exit 2.
 */
export function addInfraCommands(program: CommanderCommand, options: CommanderAdapterOptions): void {
  const io = options.io ?? { stdout: process.stdout, stderr: process.stderr };
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const onUsage = (error: { exitCode: number; code: string }): void => {
    // help and version end with 0; anything else commander refuses is a usage error
    exit(
      error.exitCode === 0 || error.code === "commander.helpDisplayed" || error.code === "commander.help"
        ? EXIT_CODES.ok
        : EXIT_CODES.usage,
    );
  };
  const withUsage = (command: CommanderLike): CommanderLike => command.exitOverride?.(onUsage) ?? command;

  const root = withUsage(program.command(CLI_ROOT).description(CLI_ROOT_DESCRIPTION));
  const groups = new Map<string, CommanderLike>();
  for (const spec of CLI_COMMANDS) {
    let parent = root;
    if (spec.path.length > 1) {
      const name = spec.path[0] ?? "";
      let group = groups.get(name);
      if (group === undefined) {
        group = withUsage(root.command(name).description(GROUP_DESCRIPTIONS[name] ?? name));
        groups.set(name, group);
      }
      parent = group;
    }
    const leaf = spec.path[spec.path.length - 1] ?? "";
    const line = [leaf, ...spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`))].join(
      " ",
    );
    const command = withUsage(parent.command(line).description(spec.description));
    for (const option of [...spec.options, ...COMMON_OPTIONS]) addOption(command, option);
    command.action(async (...actionArgs: unknown[]) => {
      setExitCode(await runAction(spec, actionArgs, io, options));
    });
  }
}

async function runAction(
  spec: CliCommand,
  actionArgs: readonly unknown[],
  io: CliIo,
  options: CommanderAdapterOptions,
): Promise<number> {
  // commander passes the positionals, then the options object, then the command
  const values = actionArgs.slice(0, spec.positionals.length);
  const opts = (actionArgs[spec.positionals.length] ?? {}) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  spec.positionals.forEach((p, i) => {
    if (values[i] !== undefined) args[p.name] = values[i];
  });
  for (const option of [...spec.options, ...COMMON_OPTIONS]) {
    const key = camel(option.name);
    if (opts[key] !== undefined) args[key] = opts[key];
  }
  return runCliCommand(spec, args, {
    io,
    json: opts.json === true,
    user: resolveUser(opts.user, options.env ?? process.env),
    openFramework: options.openFramework,
  });
}

/** The descriptor row hosts use for lazy CLI loading (and the manifest's `cliCommands`). */
export const CLI_DESCRIPTORS = [INFRA_CLI_DESCRIPTOR] as const;

/** Registers the `infra` commands with the host (`api.registerCli`). */
export function registerHostCli(
  api: HostPluginApi,
  openFramework: () => Promise<InfrastructureFramework>,
): void {
  api.registerCli(({ program }) => addInfraCommands(program, { openFramework }), {
    commands: [CLI_ROOT],
    descriptors: CLI_DESCRIPTORS,
  });
}
