// The standalone `espada-infra` CLI: the command table on yargs (help, completion, strict parsing,
// exit codes 0 ok / 1 failure / 2 usage), with a quick path that reads plain command lines without
// loading yargs. Configuration comes from `espada.yaml` through the discovery package's loader;
// state lives in `./.espada-infra/` unless configured otherwise.
import { dirname, resolve } from "node:path";
import type { InfrastructureFramework } from "../framework.js";
import { processStream } from "./fdStream.js";
import { readQuickArgs } from "./quickArgs.js";
import { EXIT_CODES } from "./table.js";
import type { CliCommand, RawArgs } from "./table.js";
import { resolveUser, runCliCommand } from "./run.js";
import type { CliIo } from "./run.js";

/** Options of {@link runStandalone}. */
export interface StandaloneOptions {
  readonly io?: CliIo;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/**
 * Runs `espada-infra` with `argv` (without node and the script) and returns the exit code:
 * 0 ok, 1 failure (a typed error), 2 usage (an unknown command or option, a bad argument).
 */
export async function runStandalone(
  argv: readonly string[],
  options: StandaloneOptions = {},
): Promise<number> {
  const io: CliIo = options.io ?? { stdout: processStream(1), stderr: processStream(2) };
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let selected: CliCommand;
  let parsedArgs: RawArgs;
  const quick = readQuickArgs(argv);
  if (quick !== undefined) {
    selected = quick.command;
    parsedArgs = quick.args;
  } else {
    const { parseWithYargs } = await import("./yargsArgs.js");
    const outcome = await parseWithYargs(argv);
    if (outcome.kind === "usage") {
      io.stderr.write(
        `${outcome.help === "" ? "" : `${outcome.help}\n\n`}error: ${outcome.message}\nRun espada-infra --help for usage.\n`,
      );
      return EXIT_CODES.usage;
    }
    if (outcome.kind === "output") {
      // --help, completion: yargs produced the output.
      if (outcome.text !== "") io.stdout.write(`${outcome.text}\n`);
      return EXIT_CODES.ok;
    }
    selected = outcome.command;
    parsedArgs = outcome.args;
  }
  const json = parsedArgs.json === true;
  const args = parsedArgs;
  const lockWaitMs = await lockTimeoutMs(args.lockTimeout);
  if (typeof lockWaitMs === "string") {
    io.stderr.write(`error: --lock-timeout: ${lockWaitMs}\nRun espada-infra --help for usage.\n`);
    return EXIT_CODES.usage;
  }
  return runCliCommand(selected, args, {
    io,
    json,
    user: resolveUser(args.user, env),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    openFramework: () =>
      openStandaloneFramework({
        argv,
        cwd,
        env,
        stateDir: args.stateDir,
        verbose: args.verbose === true,
        lockWaitMs,
      }),
  });
}

/**
 * `--lock-timeout` (seconds, default 0) in ms, or why it is refused: not a number, below 0, or
 * longer than the longest timer Node can set.
 */
async function lockTimeoutMs(value: unknown): Promise<number | string> {
  if (value === undefined) return 0;
  const { MAX_TIMER_MS } = await import("@espada/infra-core");
  const ms = typeof value === "number" ? Math.round(value * 1000) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMER_MS)
    return `expected a number of seconds from 0 to ${Math.floor(MAX_TIMER_MS / 1000)}`;
  return ms;
}

/** Thrown when `espada.yaml` is invalid: every problem with file, line and path. */
async function openStandaloneFramework(options: {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stateDir: unknown;
  verbose: boolean;
  lockWaitMs: number;
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
      lockWaitMs: options.lockWaitMs,
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
