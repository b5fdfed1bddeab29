import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  /** Aborts the request (a timeout signal is combined with it). */
  readonly signal?: AbortSignal;
  /** Whole-request timeout, in ms. */
  readonly timeoutMs: number;
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /** Headers sent to the first URL's origin only (never across a redirect to another origin). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Redirects followed at most (default 5). */
  readonly maxRedirects?: number;
}

/** Outcome of {@link httpGet}: the body, or a reason that never contains a header value. */
export type HttpGetResult =
  | { readonly ok: true; readonly body: Buffer; readonly url: URL }
  | { readonly ok: false; readonly reason: string };

/**
 * GETs an http(s) URL without keep-alive (no socket outlives the call), with a timeout, a body
 * cap and bounded redirects. Never throws.
 */
export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpGetResult> {
  // One controller for the caller's signal and the timeout; the timer and the listener are removed
  // when the call ends, so nothing outlives it.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  timer.unref();
  const onAbort = (): void => controller.abort();
  if (options.signal?.aborted === true) controller.abort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await follow(url, options, controller.signal, () => timedOut);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

async function follow(
  url: URL,
  options: HttpGetOptions,
  signal: AbortSignal,
  timedOut: () => boolean,
): Promise<HttpGetResult> {
  const origin = url.origin;
  let current = url;
  const maxRedirects = options.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== "http:" && current.protocol !== "https:")
      return { ok: false, reason: `refused a non-http(s) URL (${current.protocol})` };
    const headers = current.origin === origin ? (options.headers ?? {}) : {};
    const request = await requestFunction(current.protocol);
    const outcome = await getOnce(request, current, headers, signal, options.maxBytes);
    if (outcome.kind === "error") {
      if (timedOut()) return { ok: false, reason: `timed out after ${options.timeoutMs} ms` };
      if (signal.aborted) return { ok: false, reason: "cancelled" };
      return { ok: false, reason: outcome.reason };
    }
    if (outcome.kind === "redirect") {
      if (hop >= maxRedirects) return { ok: false, reason: `more than ${maxRedirects} redirects` };
      try {
        current = new URL(outcome.location, current);
      } catch {
        return { ok: false, reason: "redirected to an invalid URL" };
      }
      continue;
    }
    return { ok: true, body: outcome.body, url: current };
  }
}

type Once =
  { kind: "body"; body: Buffer } | { kind: "redirect"; location: string } | { kind: "error"; reason: string };

type Request = (url: URL, options: RequestOptions) => ClientRequest;

/**
 * The request function for a protocol, imported on first use: `node:https` pulls in TLS, which costs
 * a CLI start that never fetches (status, providers) several milliseconds.
 */
async function requestFunction(protocol: string): Promise<Request> {
  return protocol === "https:" ? (await import("node:https")).request : (await import("node:http")).request;
}

function getOnce(
  request: Request,
  url: URL,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
  maxBytes: number,
): Promise<Once> {
  return new Promise<Once>((resolve) => {
    if (signal.aborted) {
      resolve({ kind: "error", reason: "cancelled" });
      return;
    }
    let settled = false;
    const done = (value: Once): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    let req: ClientRequest;
    try {
      req = request(url, {
        method: "GET",
        headers: { accept: "application/json, */*", ...headers },
        agent: false,
        signal,
      });
    } catch (error) {
      done({ kind: "error", reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    req.on("error", (error) => done({ kind: "error", reason: error.message }));
    req.on("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && typeof res.headers.location === "string") {
        res.resume();
        done({ kind: "redirect", location: res.headers.location });
        return;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        done({ kind: "error", reason: `HTTP ${status}` });
        return;
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        done({ kind: "error", reason: `body larger than ${maxBytes} bytes` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          done({ kind: "error", reason: `body larger than ${maxBytes} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", (error) => done({ kind: "error", reason: error.message }));
      res.on("end", () => done({ kind: "body", body: Buffer.concat(chunks, size) }));
      res.on("close", () => done({ kind: "error", reason: "connection closed before the body ended" }));
    });
    req.end();
  });
}
