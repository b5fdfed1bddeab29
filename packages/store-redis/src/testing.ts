/**
 * `@espada/infra-store-redis/testing` — a real `redis-server` (Debian package) for tests and
 * benchmarks of anything that runs on the Redis store: its own loopback port and temp directory,
 * append-only file with fsync on every write, optionally a password and a TLS port with a
 * throwaway CA, started and stopped by the caller.
 * @packageDocumentation
 */
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { InfrastructureLogger, LogMeta } from "@espada/infra-core";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** `requirepass`: every client must authenticate with this password. */
  readonly password?: string;
  /**
   * Also serve TLS on a second port, with a server certificate for `localhost` and `127.0.0.1`
   * signed by a CA generated for this server (needs the `openssl` command).
   */
  readonly tls?: boolean;
  /** More `redis-server` arguments. */
  readonly args?: readonly string[];
}

/** A running redis-server owned by a test. */
export interface RedisServer {
  /** The plain TCP port. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (without the password). */
  readonly url: string;
  /** The TLS port, when started with `tls`. */
  readonly tlsPort: number | undefined;
  /** `rediss://localhost:<tlsPort>`, when started with `tls`. */
  readonly tlsUrl: string | undefined;
  /** PEM text of the CA that signed the server certificate, when started with `tls`. */
  readonly ca: string | undefined;
  /** The server's working directory (append-only file, certificates). */
  readonly dir: string;
  /** Stops it (SIGTERM, or SIGKILL for a crash) and waits for the process to exit. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port and directory (it reloads its append-only file). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway CA and a server certificate for localhost / 127.0.0.1 it signed, written into `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string): string => join(dir, name);
  const openssl = (args: readonly string[]): void => {
    try {
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      throw new Error(
        `openssl failed (is the openssl command installed?): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=espada-test-ca",
  ]);
  openssl([
    "req",
    ...ecKey,
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr"),
    "-subj",
    "/CN=localhost",
  ]);
  writeFileSync(file("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl([
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.crt"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-out",
    file("server.crt"),
    "-days",
    "2",
    "-extfile",
    file("server.ext"),
  ]);
  return { ca: file("ca.crt"), cert: file("server.crt"), key: file("server.key") };
}

function launch(port: number, dir: string, extra: readonly string[]): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--save",
      "",
      "--daemonize",
      "no",
      "--loglevel",
      "notice",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) =>
      reject(
        new Error(
          `redis-server could not start (is the Debian package redis-server installed?): ${error.message}`,
        ),
      ),
    );
    child.once("exit", (code) =>
      reject(new Error(`redis-server exited with ${String(code)} before it was ready:\n${output}`)),
    );
  });
}

/** Starts a redis-server on a free loopback port (and a TLS port when asked) in a fresh temp directory. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "espada-redis-"));
  const certificates = options.tls === true ? makeCertificates(dir) : undefined;
  let port = 0;
  let tlsPort: number | undefined;
  let extra: string[] = [];
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    tlsPort = certificates === undefined ? undefined : await freePort();
    extra = [
      ...(options.password === undefined ? [] : ["--requirepass", options.password]),
      ...(certificates === undefined || tlsPort === undefined
        ? []
        : [
            "--tls-port",
            String(tlsPort),
            "--tls-cert-file",
            certificates.cert,
            "--tls-key-file",
            certificates.key,
            "--tls-ca-cert-file",
            certificates.ca,
            "--tls-auth-clients",
            "no",
          ]),
      ...(options.args ?? []),
    ];
    try {
      child = await launch(port, dir, extra);
    } catch (error) {
      // another process took a port between the probe and the start: try others
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve());
      running.kill(signal);
    });
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    tlsPort,
    tlsUrl: tlsPort === undefined ? undefined : `rediss://localhost:${tlsPort}`,
    ca: certificates === undefined ? undefined : readFileSync(certificates.ca, "utf8"),
    dir,
    stop,
    start: async () => {
      if (child !== undefined) return;
      child = await launch(port, dir, extra);
    },
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A logger that keeps every line it is given (`level message meta`), for checking what reaches a log. */
export function recordingLogger(lines: string[]): InfrastructureLogger {
  const log = (level: string) => (message: string, meta?: LogMeta) =>
    lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
  const logger: InfrastructureLogger = {
    trace: log("trace"),
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    child: () => logger,
    withContext: () => logger,
    isLevelEnabled: () => true,
  };
  return logger;
}
