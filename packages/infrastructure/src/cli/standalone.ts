// The standalone `espada-infra` CLI: the command table on yargs (help, completion, strict parsing,
// exit codes 0 ok / 1 failure / 2 usage). Configuration comes from `espada.yaml` through the
// discovery package's loader; state lives in `./.espada-infra/` unless configured otherwise.
import { dirname, resolve } from "node:path";
import yargs from "yargs";
import type { Argv } from "yargs";
import type { InfrastructureFramework } from "../framework.js";
import { CLI_COMMANDS, COMMON_OPTIONS, EXIT_CODES } from "./table.js";
import type { CliCommand, OptionSpec, RawArgs } from "./table.js";
import { resolveUser, runCliCommand } from "./run.js";
import type { CliIo } from "./run.js";

/** Options of {@link runStandalone}. */
export interface StandaloneOptions {
  readonly io?: CliIo;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

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
    )
    .option("config", { type: "string", describe: "Path of espada.yaml", requiresArg: true, global: true })
    .option("state-dir", {
      type: "string",
      describe: "State directory (default ./.espada-infra)",
      requiresArg: true,
      global: true,
    })
    .option("verbose", { type: "boolean", describe: "Log framework activity to stderr", global: true });
  for (const option of COMMON_OPTIONS) parser = addOption(parser, option).global(option.name);
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

/**
 * Runs `espada-infra` with `argv` (without node and the script) and returns the exit code:
 * 0 ok, 1 failure (a typed error), 2 usage (an unknown command or option, a bad argument).
 */
export async function runStandalone(
  argv: readonly string[],
  options: StandaloneOptions = {},
): Promise<number> {
  const io: CliIo = options.io ?? { stdout: process.stdout, stderr: process.stderr };
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
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
  if (usageError !== undefined) {
    io.stderr.write(
      `${helpText === "" ? "" : `${helpText}\n\n`}error: ${usageError}\nRun espada-infra --help for usage.\n`,
    );
    return EXIT_CODES.usage;
  }
  if (selected === undefined || helpText !== "") {
    // --help, completion: yargs produced the output.
    if (helpText !== "") io.stdout.write(`${helpText}\n`);
    return EXIT_CODES.ok;
  }
  const json = parsedArgs.json === true;
  const args = parsedArgs;
  return runCliCommand(selected, args, {
    io,
    json,
    user: resolveUser(args.user, env),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    openFramework: () =>
      openStandaloneFramework({ argv, cwd, env, stateDir: args.stateDir, verbose: args.verbose === true }),
  });
}

/** Thrown when `espada.yaml` is invalid: every problem with file, line and path. */
async function openStandaloneFramework(options: {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stateDir: unknown;
  verbose: boolean;
}): Promise<InfrastructureFramework> {
  const { loadInfrastructureConfig, formatConfigIssue } = await import("@espada/infra-discovery");
  const loaded = await loadInfrastructureConfig({ argv: options.argv, cwd: options.cwd, env: options.env });
  if (!loaded.success) {
    const { ConfigValidationError } = await import("@espada/infra-core");
    throw new ConfigValidationError(
      `invalid configuration:\n  ${loaded.errors.map(formatConfigIssue).join("\n  ")}`,
      loaded.errors,
    );
  }
  // Relative paths in a config file (state dir, plugin folders) are relative to the file.
  const base = loaded.source.kind === "file" ? dirname(loaded.source.path) : options.cwd;
  const { createInfrastructureFramework } = await import("../framework.js");
  const { LOG_LEVEL_SEVERITY } = await import("@espada/infra-core");
  const { createDeferredLogger } = await import("./deferredLogger.js");
  const logging = loaded.config.loggingConfig;
  // A command's output is its result: framework logs below warn only with --verbose. The logging
  // package is loaded only when a line is actually written.
  const level =
    options.verbose || LOG_LEVEL_SEVERITY[logging.level] >= LOG_LEVEL_SEVERITY.warn ? logging.level : "warn";
  const logger = createDeferredLogger(level, async () => {
    const { InfrastructureLoggerImpl } = await import("@espada/infra-logging");
    return new InfrastructureLoggerImpl({ ...logging, level }, { baseDir: base, env: options.env });
  });
  try {
    const framework = await createInfrastructureFramework(loaded.config, {
      cwd: base,
      env: options.env,
      logger,
      ...(typeof options.stateDir === "string" ? { stateDir: resolve(options.cwd, options.stateDir) } : {}),
    });
    const shutdown = framework.shutdown.bind(framework);
    return {
      ...framework,
      shutdown: async () => {
        const report = await shutdown();
        await logger.close();
        return report;
      },
    };
  } catch (error) {
    await logger.close();
    throw error;
  }
}
