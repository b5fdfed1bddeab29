// Runs one command of the table and prints its result, the same way for both adapters.
import { userInfo } from "node:os";
import type { InfrastructureFramework } from "../framework.js";
import { EXIT_CODES } from "./table.js";
import type { CliCommand, CommandResult, RawArgs } from "./table.js";

/** A text stream (stdout/stderr or a test double). */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Where a command prints. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
}

/** Options of {@link runCliCommand}. */
export interface RunCliOptions {
  /** Builds the framework for this invocation; it is shut down when the command ends. */
  readonly openFramework: () => Promise<InfrastructureFramework>;
  readonly io: CliIo;
  /** `--json` was given. */
  readonly json: boolean;
  readonly user: string;
  readonly signal?: AbortSignal;
}

/** The acting user: `--user`, else `$ESPADA_INFRA_USER`, else the OS user name. */
export function resolveUser(
  flag: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (typeof flag === "string" && flag.trim() !== "") return flag.trim();
  const fromEnv = env.ESPADA_INFRA_USER;
  if (fromEnv !== undefined && fromEnv.trim() !== "") return fromEnv.trim();
  try {
    return userInfo().username;
  } catch {
    return "operator";
  }
}

/** A one-line progress display on a TTY (stderr); nothing on a pipe or with `--json`. No timer is used. */
export function createProgress(
  stream: CliStream,
  enabled: boolean,
): { update: (message: string, percent?: number) => void; done: () => void } {
  if (!enabled || stream.isTTY !== true) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update(message, percent) {
      const pct = percent === undefined ? "" : ` ${Math.round(percent)}%`;
      stream.write(`\r\x1b[2K… ${message}${pct}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}

/** What an operator can do about a failure, by error code (printed under the error in text mode). */
const HINTS: Readonly<Record<string, string>> = {
  STORAGE_LOCKED:
    "another process (a running gateway?) owns this state directory with the file backend: wait for it (espada-infra --lock-timeout <seconds>), use its gateway methods, or share state through stateStoreConfig.backend redis",
};

/** Prints a failure (text or JSON) and returns its exit code. */
export async function printResult(result: CommandResult, io: CliIo, json: boolean): Promise<number> {
  const { toJsonData } = await import("../operations.js");
  if (json) {
    const out = result.ok
      ? { ok: true, data: result.data }
      : { ok: false, error: result.error, ...(result.data === undefined ? {} : { data: result.data }) };
    io.stdout.write(`${JSON.stringify(toJsonData(out), null, 2)}\n`);
  } else {
    const { redactSecretText } = await import("@espada/infra-core");
    if (result.text !== undefined && result.text !== "")
      io.stdout.write(`${redactSecretText(result.text)}\n`);
    if (!result.ok) {
      io.stderr.write(`error [${result.error.code}]: ${redactSecretText(result.error.message)}\n`);
      const issues = result.error.issues ?? [];
      if (issues.length > 1)
        for (const issue of issues)
          io.stderr.write(`  ${issue.path ?? ""}: ${redactSecretText(issue.message)}\n`);
      const hint = HINTS[result.error.code];
      if (hint !== undefined) io.stderr.write(`hint: ${hint}\n`);
    }
  }
  if (result.ok) return EXIT_CODES.ok;
  return result.usage === true ? EXIT_CODES.usage : EXIT_CODES.failure;
}

/**
 * Runs a command of the table: builds the framework on first use, shows progress on a TTY, prints
 * the result, always shuts the framework down, and returns the exit code (0 ok, 1 failure, 2 usage).
 * Never throws and never prints a stack trace.
 */
export async function runCliCommand(
  command: CliCommand,
  args: RawArgs,
  options: RunCliOptions,
): Promise<number> {
  const progress = createProgress(options.io.stderr, !options.json);
  let opened: Promise<InfrastructureFramework> | undefined;
  let result: CommandResult;
  try {
    result = await command.run(
      {
        framework: () => (opened ??= options.openFramework()),
        user: options.user,
        onProgress: progress.update,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      args,
    );
  } catch (error) {
    const { toOperationError } = await import("../operations.js");
    result = { ok: false, error: toOperationError(error) };
  } finally {
    progress.done();
  }
  if (opened !== undefined) {
    const framework = await opened.catch(() => undefined);
    await framework?.shutdown().catch(() => undefined);
  }
  return printResult(result, options.io, options.json);
}
