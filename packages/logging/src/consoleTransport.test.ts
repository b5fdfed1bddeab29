import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConsoleTransport, createInfrastructureLogger, formatConsoleLine, shouldUseColor } from "./index.js";
import type { LogRecord } from "./index.js";

class MemoryStream extends Writable {
  readonly chunks: string[] = [];
  readonly isTTY: boolean;
  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }
  get text(): string {
    return this.chunks.join("");
  }
}

const ESC = "\u001b[";
const record: LogRecord = {
  timestamp: "2026-01-02T03:04:05.678Z",
  level: "warn",
  subsystem: "registry.lifecycle",
  message: "slow\nstart",
  providerId: "aws",
  sessionId: "s 1",
  duration: 1500,
  error: {
    name: "TimeoutError",
    message: "took too long",
    code: "TIMEOUT",
    cause: { name: "Error", message: "socket" },
  },
  metadata: { region: "eu" },
};

describe("shouldUseColor", () => {
  it("follows the TTY when no variable is set", () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({}, {})).toBe(false);
  });
  it("lets NO_COLOR and TERM=dumb turn colour off on a TTY", () => {
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { TERM: "dumb" })).toBe(false);
  });
  it("lets FORCE_COLOR decide first, as Node does", () => {
    expect(shouldUseColor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(shouldUseColor({ isTTY: false }, { FORCE_COLOR: "", NO_COLOR: "1" })).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { FORCE_COLOR: "0" })).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { FORCE_COLOR: "false" })).toBe(false);
  });
});

describe("formatConsoleLine", () => {
  it("prints one plain line with context, duration, error chain and metadata", () => {
    expect(formatConsoleLine(record, false)).toBe(
      '2026-01-02T03:04:05.678Z WARN  [registry.lifecycle] slow\\nstart providerId=aws sessionId="s 1" duration=1500ms ' +
        'error="TimeoutError: took too long [TIMEOUT] <- Error: socket" {"region":"eu"}',
    );
  });
  it("colours the level when asked", () => {
    const line = formatConsoleLine(record, true);
    expect(line).toContain(`${ESC}33mWARN `);
    expect(line).not.toContain("\n");
  });
});

describe("ConsoleTransport", () => {
  it("writes coloured lines to a TTY and plain lines elsewhere", async () => {
    const tty = new MemoryStream(true);
    const pipe = new MemoryStream(false);
    for (const stream of [tty, pipe]) {
      const logger = createInfrastructureLogger(
        { includeTimestamps: false, destinations: [{ type: "console", config: {} }] },
        { stderr: stream, env: {} },
      );
      logger.error("boom", { providerId: "p" });
      await logger.close();
    }
    expect(tty.text).toBe(`${ESC}31mERROR${ESC}0m boom ${ESC}2mproviderId=p${ESC}0m\n`);
    expect(pipe.text).toBe("ERROR boom providerId=p\n");
  });

  it("writes to stdout when configured and honours an explicit colors setting", async () => {
    const out = new MemoryStream(false);
    const err = new MemoryStream(true);
    const logger = createInfrastructureLogger(
      {
        includeTimestamps: false,
        destinations: [{ type: "console", config: { stream: "stdout", colors: true } }],
      },
      { stdout: out, stderr: err, env: {} },
    );
    logger.info("hi");
    await logger.close();
    expect(out.text).toBe(`${ESC}32mINFO ${ESC}0m hi\n`);
    expect(err.text).toBe("");
  });

  it("shares one error listener per stream across transports", async () => {
    const stream = new MemoryStream(false);
    const transports = Array.from({ length: 20 }, () => new ConsoleTransport({ stream }));
    expect(stream.listenerCount("error")).toBe(1);
    await Promise.all(transports.map((transport) => transport.shutdown()));
    expect(stream.listenerCount("error")).toBe(0);
  });

  it("reports a stream error once and keeps logging", async () => {
    const errors: string[] = [];
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error("EPIPE"));
      },
    });
    const transport = new ConsoleTransport({
      stream: broken,
      colors: false,
      onError: (error) => errors.push(error.message),
    });
    const next = (): void => undefined;
    transport.log(record, next);
    transport.log(record, next);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(["EPIPE"]);
    await transport.shutdown();
    expect(broken.listenerCount("error")).toBe(0);
  });
});
