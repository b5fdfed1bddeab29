import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GLOBAL_OPTIONS, readQuickArgs } from "./quickArgs.js";
import { CLI_COMMANDS, COMMON_OPTIONS } from "./table.js";
import type { CliCommand, RawArgs } from "./table.js";
import { parseWithYargs } from "./yargsArgs.js";

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Every argument name a command can read, camelCase. */
function keysOf(command: CliCommand): string[] {
  return [
    ...command.positionals.map((p) => camel(p.name)),
    ...[...GLOBAL_OPTIONS, ...COMMON_OPTIONS, ...command.options].map((o) => camel(o.name)),
  ];
}

/** The quick path's answer must be yargs' answer, on every name the command reads. */
async function expectSameAsYargs(argv: readonly string[]): Promise<boolean> {
  const quick = readQuickArgs(argv);
  if (quick === undefined) return false;
  const outcome = await parseWithYargs(argv);
  expect(outcome.kind, argv.join(" ")).toBe("command");
  const full = outcome as { command: CliCommand; args: RawArgs };
  expect(full.command, argv.join(" ")).toBe(quick.command);
  for (const key of new Set([...keysOf(quick.command), ...Object.keys(quick.args)]))
    expect(quick.args[key], `${key} in: ${argv.join(" ")}`).toEqual(full.args[key]);
  return true;
}

describe("the quick command-line path", () => {
  it("reads the plain forms without yargs, as yargs reads them", async () => {
    const lines = [
      ["status"],
      ["status", "--json"],
      ["status", "--no-health", "--state-dir", "st", "--verbose"],
      ["status", "--config=other.yaml", "--user", "ann"],
      ["providers", "--json"],
      ["instances", "--provider", "echo"],
      ["exec", "echo", "create-bucket", "--param", "name=a", "-p", "size=2", "--dry-run", "--env", "staging"],
      ["exec", "echo", "ping", "--timeout", "1500", "-y", "--param=a=b=c"],
      ["approvals", "approve", "123", "--no-run", "--comment", "ok then"],
      ["audit", "tail", "-n", "5", "--for-user", "bob", "--type", "permission_denied"],
      ["break-glass", "activate", "--reason-code", "incident", "--duration", "2.5"],
      ["chat", "list my buckets please", "--conversation", "c1"],
    ];
    for (const argv of lines) expect(await expectSameAsYargs(argv), argv.join(" ")).toBe(true);
  });

  it("declines what only yargs should answer", () => {
    const declined = [
      [],
      ["--help"],
      ["status", "--help"],
      ["status", "-h"],
      ["completion"],
      ["approvals"],
      ["statu"],
      ["status", "extra"],
      ["exec", "echo"],
      ["status", "--bogus"],
      ["status", "--json", "--json"],
      ["status", "--json=true"],
      ["status", "--json", "false"],
      ["status", "--user"],
      ["status", "--user", "--json"],
      ["status", "--user="],
      ["exec", "echo", "ping", "--param", "a=1", "b=2"],
      ["exec", "echo", "--param", "a=1", "ping"],
      ["exec", "echo", "ping", "--timeout", "1e3"],
      ["exec", "echo", "ping", "--timeout", "-1"],
      ["exec", "echo", "ping", "-x"],
      ["exec", "echo", "ping", "--y"],
      ["--json", "status"],
      ["status", "--", "x"],
    ];
    for (const argv of declined) expect(readQuickArgs(argv), argv.join(" ")).toBeUndefined();
  });

  it("agrees with yargs on generated command lines (or declines them)", async () => {
    const words = new Set<string>();
    for (const command of CLI_COMMANDS) {
      for (const word of command.path) words.add(word);
      for (const option of [...GLOBAL_OPTIONS, ...COMMON_OPTIONS, ...command.options]) {
        words.add(`--${option.name}`);
        words.add(`--no-${option.name}`);
        words.add(`--${camel(option.name)}`);
        if (option.alias !== undefined) words.add(`-${option.alias}`);
      }
    }
    const values = ["x", "a=b", "5", "0", "010", "1e3", "2.5", "-1", "", "true", "false", "-", "--", "a b"];
    const word = fc.constantFrom(...words);
    const value = fc.constantFrom(...values);
    const token = fc.oneof(
      { arbitrary: word, weight: 4 },
      { arbitrary: value, weight: 4 },
      { arbitrary: fc.tuple(word, value).map(([w, v]) => `${w}=${v}`), weight: 1 },
      { arbitrary: fc.string({ maxLength: 4 }), weight: 1 },
    );
    const command = fc.constantFrom(...CLI_COMMANDS).map((c) => [...c.path]);
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(command, fc.array(token, { maxLength: 7 }), async (head, rest) => {
        if (await expectSameAsYargs([...head, ...rest])) taken += 1;
      }),
      { numRuns: 2000 },
    );
    // The generator reaches the quick path often enough for the comparison to mean something.
    expect(taken).toBeGreaterThan(100);
  });
});
