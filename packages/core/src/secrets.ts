/**
 * The one decision on what is secret. The command validator, the session history, the audit log
 * and the logger all ask {@link isSecretKey} and redact with {@link redactSecrets}; no package keeps
 * a list of its own.
 */

/** What a secret value is replaced with. */
export const REDACTED = "[REDACTED]";

/**
 * Key fragments that mark a value as secret. A key is secret when, lower-cased with every character
 * other than a letter or a digit removed (`api_key` → `apikey`, `X-Api-Key` → `xapikey`,
 * `Set-Cookie` → `setcookie`), it ends with one of these: `dbPassword`, `clientSecret`,
 * `refreshTokens`, `awsSecretAccessKey`, `basicAuth`, `Proxy-Authorization` are all secret.
 */
export const SECRET_KEY_FRAGMENTS: readonly string[] = Object.freeze([
  "password",
  "passwords",
  "passwd",
  "pwd",
  "passphrase",
  "passphrases",
  "secret",
  "secrets",
  "token",
  "tokens",
  "apikey",
  "apikeys",
  "auth",
  "authorization",
  "credential",
  "credentials",
  "privatekey",
  "privatekeys",
  "accesskey",
  "accesskeys",
  "secretkey",
  "secretkeys",
  "signingkey",
  "signingkeys",
  "sessionkey",
  "sessionkeys",
  "encryptionkey",
  "encryptionkeys",
  "masterkey",
  "cookie",
  "cookies",
  "bearer",
  "connectionstring",
]);

/**
 * Whole words that are secret only as the last word of a key (`dbPass`, `user_pass`), because as a
 * mere ending of a word they are not (`bypass`, `compass`).
 */
const SECRET_LAST_WORDS: ReadonlySet<string> = new Set(["pass"]);

/** A count of tokens (an AI model's `maxTokens`, `num_output_tokens`) is a number, not a credential. */
const TOKEN_COUNT = /^(?:max|min|num|total|count)(?:input|output|prompt|completion|context|new)?tokens?$/;

const normalize = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, "");

/** The last word of a camelCase, snake_case, kebab-case or spaced key, lower-cased. */
function lastWord(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0);
  return (words[words.length - 1] ?? "").toLowerCase();
}

const decisions = new Map<string, boolean>();
const DECISION_CACHE_LIMIT = 10_000;

/** Applies the rule to a key (uncached; see {@link isSecretKey} for the rule). */
function decide(key: string, fragments: readonly string[]): boolean {
  const normalized = normalize(key);
  if (normalized.length === 0) return false;
  if (TOKEN_COUNT.test(normalized)) return false;
  if (fragments.some((fragment) => normalized.endsWith(fragment))) return true;
  return SECRET_LAST_WORDS.has(lastWord(key));
}

/**
 * True when a value stored under `key` is secret and must never be written in plaintext to a log,
 * an audit record, the session history or anything shown. The key is lower-cased and stripped of
 * every character other than a letter or digit, and is secret when it ends with one of
 * {@link SECRET_KEY_FRAGMENTS} (or its last word is `pass`); a token count such as `maxTokens` is
 * not. Anything that is not a string is not a secret key.
 */
export function isSecretKey(key: unknown): boolean {
  if (typeof key !== "string") return false;
  let secret = decisions.get(key);
  if (secret === undefined) {
    secret = decide(key, SECRET_KEY_FRAGMENTS);
    if (decisions.size < DECISION_CACHE_LIMIT) decisions.set(key, secret);
  }
  return secret;
}

/**
 * A secret-key predicate that also treats keys ending with any of `extraFragments` as secret (an
 * operator's own names, such as a logger's `secretKeys` option). It only ever adds to
 * {@link isSecretKey}: every key core calls secret stays secret.
 */
export function createSecretKeyPredicate(extraFragments: readonly string[] = []): (key: unknown) => boolean {
  const extra = extraFragments.map(normalize).filter((fragment) => fragment.length > 0);
  if (extra.length === 0) return isSecretKey;
  const cache = new Map<string, boolean>();
  return (key) => {
    if (typeof key !== "string") return false;
    let secret = cache.get(key);
    if (secret === undefined) {
      const normalized = normalize(key);
      secret =
        isSecretKey(key) ||
        (normalized.length > 0 && extra.some((fragment) => normalized.endsWith(fragment)));
      if (cache.size < DECISION_CACHE_LIMIT) cache.set(key, secret);
    }
    return secret;
  };
}

/** Options of {@link redactSecrets}. */
export interface RedactSecretsOptions {
  /** The key predicate (default {@link isSecretKey}); build a wider one with {@link createSecretKeyPredicate}. */
  readonly isSecretKey?: (key: unknown) => boolean;
  /** Nesting depth past which a value becomes `"[Truncated]"` (default 64). */
  readonly maxDepth?: number;
}

/** Replaces a value that cannot be read (a throwing getter or proxy trap). */
export const UNREADABLE = "[Unreadable]";
/** Replaces a reference back to an object that contains it. */
export const CIRCULAR = "[Circular]";
/** Replaces what lies deeper than `maxDepth`. */
export const TRUNCATED = "[Truncated]";

const read = (target: object, key: PropertyKey): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: (target as Record<PropertyKey, unknown>)[key] };
  } catch {
    return { ok: false };
  }
};

const SPARSE_WALK_FROM = 100_000;

function* range(size: number): Generator<number> {
  for (let index = 0; index < size; index += 1) yield index;
}

const setOwnProperty = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

/** Values kept as they are: they hold no keys (or nothing a caller would call a key). */
function isOpaque(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    value instanceof Boolean ||
    value instanceof Number ||
    value instanceof String
  );
}

/**
 * A deep copy of `value` in which every value stored under a secret key — at any depth, in plain
 * objects, class instances, arrays, `Map`s and `Set`s — reads `"[REDACTED]"` (an `undefined` value
 * stays `undefined`). Everything else is copied unchanged: primitives, functions, dates, regular
 * expressions and binary data as they are, other objects as plain objects of their own enumerable
 * string keys (a null-prototype object stays one; an error also keeps its `name` and `message`). Never mutates its input and never
 * throws: a cycle reads `"[Circular]"`, a throwing getter or proxy `"[Unreadable]"`, anything deeper
 * than `maxDepth` `"[Truncated]"`.
 */
export function redactSecrets(value: unknown, options: RedactSecretsOptions = {}): unknown {
  const secret = options.isSecretKey ?? isSecretKey;
  const maxDepth = options.maxDepth ?? 64;
  const ancestors = new Set<object>();

  const underKey = (key: unknown, child: unknown, depth: number): unknown => {
    let isSecret: boolean;
    try {
      isSecret = secret(key);
    } catch {
      isSecret = true;
    }
    if (isSecret) return child === undefined ? undefined : REDACTED;
    return walk(child, depth + 1);
  };

  const walk = (input: unknown, depth: number): unknown => {
    if ((typeof input !== "object" && typeof input !== "function") || input === null) return input;
    if (typeof input === "function") return input;
    const object: object = input;
    if (ancestors.has(object)) return CIRCULAR;
    if (depth >= maxDepth) return TRUNCATED;
    ancestors.add(object);
    try {
      if (Array.isArray(object)) {
        const length = read(object, "length");
        const size = length.ok && typeof length.value === "number" ? length.value : 0;
        const out: unknown[] = new Array<unknown>(size);
        // A huge sparse array is walked by its present indices only.
        const indices: Iterable<number> =
          size > SPARSE_WALK_FROM ? Object.keys(object).map(Number).filter(Number.isInteger) : range(size);
        for (const index of indices) {
          const item = read(object, index);
          out[index] = item.ok ? walk(item.value, depth + 1) : UNREADABLE;
        }
        return out;
      }
      if (object instanceof Map) {
        const out = new Map<unknown, unknown>();
        for (const [key, child] of object) out.set(key, underKey(key, child, depth));
        return out;
      }
      if (object instanceof Set) {
        const out = new Set<unknown>();
        for (const item of object) out.add(walk(item, depth + 1));
        return out;
      }
      if (isOpaque(object)) return object;
      const out = (Object.getPrototypeOf(object) === null ? Object.create(null) : {}) as Record<
        string,
        unknown
      >;
      if (object instanceof Error) {
        const name = read(object, "name");
        const message = read(object, "message");
        setOwnProperty(out, "name", name.ok ? name.value : UNREADABLE);
        setOwnProperty(out, "message", message.ok ? message.value : UNREADABLE);
      }
      for (const key of Object.keys(object)) {
        const child = read(object, key);
        setOwnProperty(out, key, child.ok ? underKey(key, child.value, depth) : UNREADABLE);
      }
      return out;
    } catch {
      return UNREADABLE;
    } finally {
      ancestors.delete(object);
    }
  };

  return walk(value, 0);
}

/** Deepest plain value {@link isRedacted} looks into before it gives up (answers false). */
const REDACTED_CHECK_DEPTH = 32;

/**
 * True when {@link redactSecrets} would give `value` back unchanged: plain objects (their prototype
 * `Object.prototype` or null), arrays and primitives only, and every value under a key
 * {@link isSecretKey} calls secret already {@link REDACTED}. Reads without copying, so a caller
 * holding parameters redacted once (the executor's) need not copy them again. False (the value
 * needs the walk) for anything else: a `Map`, a class instance, a huge sparse array, a nesting
 * deeper than 32, a cycle, a throwing getter. Never throws.
 */
export function isRedacted(value: unknown): boolean {
  try {
    return redactedAt(value, 0);
  } catch {
    return false;
  }
}

function redactedAt(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (depth >= REDACTED_CHECK_DEPTH) return false;
  if (Array.isArray(value)) {
    if (value.length > SPARSE_WALK_FROM) return false;
    for (let i = 0; i < value.length; i++) if (!redactedAt((value as unknown[])[i], depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (isSecretKey(key) ? child !== REDACTED && child !== undefined : !redactedAt(child, depth + 1))
      return false;
  }
  return true;
}

/**
 * {@link redactSecrets} for a record (command parameters, audit details): the copy is always a plain
 * object, `{}` when `value` is not an object.
 */
export function redactSecretRecord(
  value: unknown,
  options: RedactSecretsOptions = {},
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const out = redactSecrets(value, options);
  return typeof out === "object" &&
    out !== null &&
    !Array.isArray(out) &&
    !(out instanceof Map) &&
    !(out instanceof Set)
    ? (out as Record<string, unknown>)
    : {};
}

/** Values that are secrets by their shape, wherever they appear in free text. */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWTs
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|sk_(?:live|test)_[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_-]{30,})\b/g, // GitHub, Slack, Stripe, Google keys
];
/** `Bearer <token>` / `Basic <credentials>`. */
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
/** Credentials inside a URL: `scheme://user:password@host`, also with an empty user (`redis://:password@host`). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;
/** `key=value`, `key: value`, `"key": "value"` pairs. */
const KEY_VALUE = /(["']?)([A-Za-z][A-Za-z0-9_.-]{1,63})\1(\s*[:=]\s*)(["']?)([^\s"',;&}=]+)\4/g;

/**
 * Replaces every secret in free text (an error message, a stack trace, a command's output) with
 * {@link REDACTED}: values of `key=value` / `key: value` pairs whose key {@link isSecretKey} calls
 * secret, `Bearer …` / `Basic …` credentials, passwords in URLs, private-key blocks, and values
 * shaped like AWS access key ids, JWTs and well-known API tokens. Never throws; a non-string yields `""`.
 */
export function redactSecretText(text: unknown): string {
  if (typeof text !== "string") return "";
  let out = text;
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(URL_CREDENTIALS, (_m, prefix: string) => `${prefix}:${REDACTED}@`);
  // Scan pair by pair; after a key that is not secret, resume right after it, so "failed: password=x"
  // still finds "password=x".
  let result = "";
  let from = 0;
  KEY_VALUE.lastIndex = 0;
  for (let m = KEY_VALUE.exec(out); m !== null; m = KEY_VALUE.exec(out)) {
    const [match, q1 = "", key = "", sep = "", q2 = "", value = ""] = m;
    if (isSecretKey(key) && value !== REDACTED) {
      result += out.slice(from, m.index) + `${q1}${key}${q1}${sep}${q2}${REDACTED}${q2}`;
      from = m.index + match.length;
    } else {
      KEY_VALUE.lastIndex = m.index + q1.length + key.length + 1;
    }
  }
  return result + out.slice(from);
}
