/**
 * How a state store writes a log entry's value as text (the Redis store after `<timestamp>:`, the
 * file store in each log line): one encoding, owned here, for every store. Plain JSON, except for an
 * object with long string members (an audit record's `b` is JSON text itself): those members go
 * unescaped after a small JSON header, `\x01<header>\x01<raw member><raw member>…`, with the
 * header `[[[name, length], …], the object with each raw member set to 0]`. Writing and reading
 * such a value then skips escaping and unescaping every quote of the long text, most of what
 * `JSON.stringify` / `JSON.parse` cost on audit records, and the entry is smaller.
 *
 * JSON text never starts with `\x01` and a JSON header never contains it (control characters
 * are escaped), so the two forms cannot be confused. A raw member must be well-formed UTF-16
 * (no lone surrogate): it travels as UTF-8 and its length is counted in UTF-16 code units; and it
 * holds no line feed, so an encoded value is one line (the file store's logs are line-based).
 */

/** Shortest string member written raw: below it, escaping costs less than the header. */
const RAW_MIN_LENGTH = 256;
const MARK = "\x01";

interface WellFormed {
  isWellFormed(): boolean;
}

/** The stored text of a (validated) JSON value. */
export function encodeLogValue(value: unknown): string {
  const parts = encodeLogValueParts(value);
  return parts.length === 1 ? (parts[0] as string) : parts.join("");
}

/**
 * {@link encodeLogValue}'s text as pieces, in order (their concatenation is that text): the JSON
 * or the marked header first, then each raw member as the very string the value holds. For a
 * writer that copies the text out as bytes (the Redis store's command buffer) without first
 * joining a long member into a new string.
 */
export function encodeLogValueParts(value: unknown): readonly string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [JSON.stringify(value)];
  const object = value as Record<string, unknown>;
  let raw: [string, number][] | undefined;
  let texts: string[] | undefined;
  let header: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const member = object[key];
    if (
      typeof member !== "string" ||
      member.length < RAW_MIN_LENGTH ||
      member.includes("\n") ||
      !(member as unknown as WellFormed).isWellFormed()
    )
      continue;
    raw ??= [];
    texts ??= [];
    // a spread defines own properties (an own `__proto__` key stays data), then 0 replaces each raw member in place
    header ??= { ...object };
    raw.push([key, member.length]);
    texts.push(member);
    header[key] = 0;
  }
  if (raw === undefined || texts === undefined) return [JSON.stringify(value)];
  return [`${MARK}${JSON.stringify([raw, header])}${MARK}`, ...texts];
}

/** The value of a stored text written by {@link encodeLogValue} (or plain JSON); throws on anything else. */
export function decodeLogValue(text: string): unknown {
  if (!text.startsWith(MARK)) return JSON.parse(text);
  const end = text.indexOf(MARK, 1);
  if (end < 0) throw new SyntaxError("log entry: header not closed");
  const parsed: unknown = JSON.parse(text.slice(1, end));
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Array.isArray(parsed[0]))
    throw new SyntaxError("log entry: malformed header");
  const [raw, object] = parsed as [unknown[], unknown];
  if (object === null || typeof object !== "object" || Array.isArray(object))
    throw new SyntaxError("log entry: malformed header");
  const target = object as Record<string, unknown>;
  let at = end + 1;
  for (const field of raw) {
    if (!Array.isArray(field) || typeof field[0] !== "string" || !Number.isInteger(field[1]))
      throw new SyntaxError("log entry: malformed header");
    const [key, length] = field as [string, number];
    if (length < 0 || at + length > text.length || !Object.hasOwn(target, key))
      throw new SyntaxError("log entry: raw member out of range");
    // the key is an own data property already (JSON.parse made it): assignment keeps its place
    target[key] = text.slice(at, at + length);
    at += length;
  }
  if (at !== text.length) throw new SyntaxError("log entry: trailing bytes");
  return target;
}
