import { isUtf8 } from "node:buffer";
import { crc32 } from "node:zlib";
import { decodeLogValue, encodeLogValue, encodeLogValueParts } from "@espada/infra-core";
import type { JsonValue, LogEntry, StoredRecord } from "@espada/infra-core";
import type { RecordSpace } from "./engine.js";

/** The format marker written into every record file and log line. */
export const STATE_FORMAT = "espada-state";
/** The newest on-disk format version this code reads and writes. */
export const STATE_FORMAT_VERSION = 1;

const PREFIX = '{"c":"';
const SEPARATOR = '","e":';
const BODY_START = PREFIX.length + 8 + SEPARATOR.length;

/** Encodes a key (or log name) into a file-name-safe string: base64url of its UTF-8 bytes. */
export function encodeKey(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Decodes {@link encodeKey}; undefined when the name is not canonical base64url, that is unless
 * `encodeKey` of the result gives `name` back. Checked without encoding again (this runs for every
 * file at open): no length of 1 modulo 4, zero bits past the last whole byte, and bytes that are
 * valid UTF-8 (which decode to a string encoding to the very same bytes).
 */
export function decodeKey(name: string): string | undefined {
  const rest = name.length % 4;
  if (rest === 1 || !BASE64URL.test(name)) return undefined;
  if (rest !== 0) {
    const last = BASE64URL_ALPHABET.indexOf(name.charAt(name.length - 1));
    if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  }
  const bytes = Buffer.from(name, "base64url");
  return isUtf8(bytes) ? bytes.toString("utf8") : undefined;
}

const ALPHABET_CODES = Uint8Array.from(BASE64URL_ALPHABET, (c) => c.charCodeAt(0));

/**
 * True when `name` is `encodeKey(key)` for an ASCII `key`, checked without making a string (this
 * runs for every record file at open, with the key read from the file); false for any other key,
 * whose name the caller then decodes with {@link decodeKey}.
 */
export function isNameOfAsciiKey(name: string, key: string): boolean {
  const n = key.length;
  const rest = n % 3;
  if (n === 0 || name.length !== ((n - rest) / 3) * 4 + (rest === 0 ? 0 : rest + 1)) return false;
  let j = 0;
  for (let i = 0; i < n; i += 3) {
    const a = key.charCodeAt(i);
    const b = i + 1 < n ? key.charCodeAt(i + 1) : 0;
    const c = i + 2 < n ? key.charCodeAt(i + 2) : 0;
    if ((a | b | c) >= 0x80) return false;
    const bits = (a << 16) | (b << 8) | c;
    const chars = n - i >= 3 ? 4 : n - i + 1;
    for (let k = 0; k < chars; k++) {
      if (name.charCodeAt(j++) !== ALPHABET_CODES[(bits >> (18 - 6 * k)) & 63]) return false;
    }
  }
  return true;
}

const hex8 = (text: string): string => crc32(text).toString(16).padStart(8, "0");

/** Wraps a JSON body into the checksummed envelope `{"c":"<crc32>","e":<body>}` (one JSON document). */
export function seal(body: string): string {
  return `${PREFIX}${hex8(body)}${SEPARATOR}${body}}`;
}

/** Why a file or line could not be read back. */
export type DecodeFailure = { readonly kind: "corrupt" | "foreign"; readonly reason: string };

/** Unwraps {@link seal}: the parsed body, or why it is corrupt (bad checksum, torn) or foreign. */
function unseal(
  text: string,
): { ok: true; body: Record<string, unknown> } | { ok: false; failure: DecodeFailure } {
  if (
    !text.startsWith(PREFIX) ||
    text.slice(PREFIX.length + 8, BODY_START) !== SEPARATOR ||
    !text.endsWith("}")
  ) {
    try {
      JSON.parse(text);
      return {
        ok: false,
        failure: { kind: "foreign", reason: "valid JSON but not an espada-state envelope" },
      };
    } catch {
      return {
        ok: false,
        failure: { kind: "corrupt", reason: "not a complete espada-state envelope (torn or damaged)" },
      };
    }
  }
  const body = text.slice(BODY_START, -1);
  if (hex8(body) !== text.slice(PREFIX.length, PREFIX.length + 8)) {
    return { ok: false, failure: { kind: "corrupt", reason: "checksum mismatch" } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, failure: { kind: "corrupt", reason: "body is not JSON" } };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, failure: { kind: "corrupt", reason: "body is not an object" } };
  }
  const body_ = parsed as Record<string, unknown>;
  const failure = formatFailure(body_);
  return failure === undefined ? { ok: true, body: body_ } : { ok: false, failure };
}

/** Why a body is not of this format (marker, version), or undefined. */
function formatFailure(body: Record<string, unknown>): DecodeFailure | undefined {
  if (body["format"] !== STATE_FORMAT) return { kind: "foreign", reason: "unknown format marker" };
  if (body["v"] !== STATE_FORMAT_VERSION)
    return { kind: "foreign", reason: `unsupported format version ${JSON.stringify(body["v"])}` };
  return undefined;
}

/** Serialises a record (or counter) into the text of its file. */
export function encodeRecordFile(space: RecordSpace, record: StoredRecord): string {
  const body: Record<string, unknown> = {
    format: STATE_FORMAT,
    v: STATE_FORMAT_VERSION,
    kind: space,
    key: record.key,
    version: record.version,
    updatedAt: record.updatedAt,
    value: record.value,
  };
  if (record.expiresAt !== undefined) body["expiresAt"] = record.expiresAt;
  return seal(JSON.stringify(body));
}

const isNonNegInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Parses a record file; checks its kind, its key against the file name, and every field. */
export function decodeRecordFile(
  text: string,
  space: RecordSpace,
  expectedKey: string,
): { ok: true; record: StoredRecord } | { ok: false; failure: DecodeFailure } {
  const unsealed = unseal(text);
  if (!unsealed.ok) return unsealed;
  return recordOfBody(unsealed.body, space, expectedKey);
}

/**
 * The record in an unsealed body (its checksum already verified): checks the format marker and
 * version, the kind, the key against the file name, and every field.
 */
export function recordOfBody(
  b: Record<string, unknown>,
  space: RecordSpace,
  expectedKey: string,
): { ok: true; record: StoredRecord } | { ok: false; failure: DecodeFailure } {
  const failure = formatFailure(b);
  if (failure !== undefined) return { ok: false, failure };
  if (b["kind"] !== space)
    return {
      ok: false,
      failure: { kind: "foreign", reason: `kind ${JSON.stringify(b["kind"])} in the ${space} directory` },
    };
  if (b["key"] !== expectedKey)
    return { ok: false, failure: { kind: "corrupt", reason: "key does not match the file name" } };
  if (!isNonNegInt(b["version"]) || b["version"] < 1 || !isFiniteNumber(b["updatedAt"]) || !("value" in b)) {
    return { ok: false, failure: { kind: "corrupt", reason: "missing or invalid version/updatedAt/value" } };
  }
  if (b["expiresAt"] !== undefined && !isFiniteNumber(b["expiresAt"])) {
    return { ok: false, failure: { kind: "corrupt", reason: "invalid expiresAt" } };
  }
  if (space === "counter") {
    const v = b["value"] as Record<string, unknown> | null;
    if (typeof v !== "object" || v === null || !isFiniteNumber(v["count"]) || !isFiniteNumber(v["resetAt"])) {
      return { ok: false, failure: { kind: "corrupt", reason: "invalid counter value" } };
    }
  }
  const base = {
    key: expectedKey,
    value: b["value"] as JsonValue,
    version: b["version"],
    updatedAt: b["updatedAt"],
  };
  return { ok: true, record: b["expiresAt"] === undefined ? base : { ...base, expiresAt: b["expiresAt"] } };
}

const PREFIX_BYTES = Buffer.from(PREFIX, "latin1");
const SEPARATOR_BYTES = Buffer.from(SEPARATOR, "latin1");
const CLOSE_BRACE = 0x7d;

/** The value of one lower-case hex digit byte, or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * True when `bytes[start, end)` is a complete envelope of {@link seal} whose checksum matches its
 * body, checked on the bytes as read (no string is made). A file this accepts decodes as
 * `decodeRecordFile` would decode its text; one it refuses is given to `decodeRecordFile` for the reason.
 */
export function isSealedBytes(bytes: Buffer, start: number, end: number): boolean {
  if (end - start < BODY_START + 1 || bytes[end - 1] !== CLOSE_BRACE) return false;
  // byte by byte: a few bytes each, cheaper than a call into Buffer#compare per file
  for (let i = 0; i < PREFIX_BYTES.length; i++) if (bytes[start + i] !== PREFIX_BYTES[i]) return false;
  const sepAt = start + PREFIX.length + 8;
  for (let i = 0; i < SEPARATOR_BYTES.length; i++) if (bytes[sepAt + i] !== SEPARATOR_BYTES[i]) return false;
  let sum = 0;
  for (let i = start + PREFIX.length; i < sepAt; i++) {
    const digit = hexDigit(bytes[i] as number);
    if (digit < 0) return false;
    sum = sum * 16 + digit;
  }
  return crc32(bytes.subarray(start + BODY_START, end - 1)) === sum;
}

/**
 * A log entry line (format version 1, since the raw-member encoding): `\x01<crc32 hex>` then the
 * checksummed text `{"format":"espada-state","v":1,"p":<position>,"t":<timestamp>}\t<value>`, the
 * value as core's `encodeLogValue` writes it (an audit record's long JSON text member unescaped), then
 * a newline. The JSON header never holds a raw tab or `\x01`, and neither does the value a newline,
 * so the line splits without parsing. Lines of the earlier form (one sealed JSON envelope, `{"c":…`)
 * still read, and are still written for the start marker of a trimmed log.
 */
const LINE_MARK = "\x01";
const LINE_MARK_BYTE = 0x01;
const TAB = "\t";

/** The JSON header of an entry line and the tab after it (the first piece of the checksummed text). */
function entryHeader(entry: LogEntry): string {
  return `{"format":"${STATE_FORMAT}","v":${STATE_FORMAT_VERSION},"p":${JSON.stringify(entry.position)},"t":${JSON.stringify(entry.timestamp)}}${TAB}`;
}

/** The checksummed text of an entry line (without mark, checksum and newline). */
function entryText(entry: LogEntry): string {
  return `${entryHeader(entry)}${encodeLogValue(entry.value)}`;
}

/** Serialises one log entry into a line (with its trailing newline). */
export function encodeLogLine(entry: LogEntry): string {
  const text = entryText(entry);
  return `${LINE_MARK}${hex8(text)}${text}\n`;
}

/**
 * The UTF-8 size of `text` when it is ASCII (every character one byte, so its latin1 bytes are its
 * UTF-8), else the negated UTF-8 size. Measured by the native UTF-8 length count, which is several
 * times cheaper than a regular expression scan over a long text: a UTF-8 length equal to the
 * number of UTF-16 code units means no character of two or more bytes (a lone surrogate counts 3).
 */
function asciiSize(text: string): number {
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes === text.length ? bytes : -bytes;
}

/**
 * The lines of {@link encodeLogLine} for a batch of entries, as the UTF-8 bytes written to the file.
 * Each line's text is written piece by piece straight into the result (the header, then the pieces
 * of core's `encodeLogValueParts`: an audit block's long members are never joined into one more
 * string) and its checksum taken over those bytes. An ASCII piece (an audit block's are) is copied
 * as latin1, its own UTF-8 and several times cheaper to write than through the UTF-8 encoder; any
 * other piece is encoded as UTF-8.
 */
export function encodeLogLines(entries: readonly LogEntry[]): Buffer {
  const pieces: string[] = [];
  const sizes: number[] = [];
  /** Per entry: the number of its pieces. */
  const counts: number[] = [];
  let size = 0;
  for (const entry of entries) {
    const header = entryHeader(entry);
    const parts = encodeLogValueParts(entry.value);
    pieces.push(header);
    let bytes = asciiSize(header);
    sizes.push(bytes);
    size += Math.abs(bytes) + 10; // the mark, 8 checksum digits, and the newline
    for (const part of parts) {
      pieces.push(part);
      bytes = asciiSize(part);
      sizes.push(bytes);
      size += Math.abs(bytes);
    }
    counts.push(parts.length + 1);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  let piece = 0;
  for (const count of counts) {
    const start = at + 9;
    let end = start;
    for (const last = piece + count; piece < last; piece++) {
      const bytes = sizes[piece] as number;
      end += out.write(pieces[piece] as string, end, Math.abs(bytes), bytes < 0 ? "utf8" : "latin1");
    }
    out[at] = LINE_MARK_BYTE;
    out.write(crc32(out.subarray(start, end)).toString(16).padStart(8, "0"), at + 1, 8, "latin1");
    out[end] = 0x0a;
    at = end + 1;
  }
  return out;
}

/**
 * Serialises the first line of a trimmed log: every position before `start` was trimmed (the
 * entries that follow start at `start`; with none, the next append gets `start`), so a trimmed or
 * emptied log keeps counting after a restart.
 */
export function encodeLogStartLine(start: number): string {
  return `${seal(JSON.stringify({ format: STATE_FORMAT, v: STATE_FORMAT_VERSION, start }))}\n`;
}

/** A decoded log line: an entry, or the start marker of a trimmed log. */
export type LogLine =
  { ok: true; entry: LogEntry } | { ok: true; start: number } | { ok: false; failure: DecodeFailure };

/** Parses one log line (without its newline), of either form. */
export function decodeLogLine(line: string): LogLine {
  if (line.startsWith(LINE_MARK)) return decodeEntryLine(line);
  const unsealed = unseal(line);
  if (!unsealed.ok) return unsealed;
  const b = unsealed.body;
  if (!("p" in b) && isNonNegInt(b["start"])) return { ok: true, start: b["start"] };
  if (!isNonNegInt(b["p"]) || !isFiniteNumber(b["t"]) || !("value" in b)) {
    return { ok: false, failure: { kind: "corrupt", reason: "missing or invalid position/timestamp/value" } };
  }
  return { ok: true, entry: { position: b["p"], timestamp: b["t"], value: b["value"] as JsonValue } };
}

/** Parses an entry line of the `\x01` form (see {@link encodeLogLine}). */
function decodeEntryLine(line: string): LogLine {
  const text = line.slice(9);
  if (line.length < 10 || hex8(text) !== line.slice(1, 9))
    return { ok: false, failure: { kind: "corrupt", reason: "checksum mismatch (torn or damaged line)" } };
  const tab = text.indexOf(TAB);
  let head: unknown;
  let value: unknown;
  try {
    if (tab < 0) throw new SyntaxError("no value");
    head = JSON.parse(text.slice(0, tab));
    value = decodeLogValue(text.slice(tab + 1));
  } catch {
    return { ok: false, failure: { kind: "corrupt", reason: "header or value is not readable" } };
  }
  if (typeof head !== "object" || head === null || Array.isArray(head))
    return { ok: false, failure: { kind: "corrupt", reason: "header is not an object" } };
  const b = head as Record<string, unknown>;
  const failure = formatFailure(b);
  if (failure !== undefined) return { ok: false, failure };
  if (!isNonNegInt(b["p"]) || !isFiniteNumber(b["t"]))
    return { ok: false, failure: { kind: "corrupt", reason: "missing or invalid position/timestamp" } };
  return { ok: true, entry: { position: b["p"], timestamp: b["t"], value: value as JsonValue } };
}
