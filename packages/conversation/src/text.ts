// Text analysis shared by the classifier and the extractor: quoted spans, tokens, a light stemmer
// and a typo corrector. One pass over the message; the result is reused by every component.

/** A written word, read once for all its occurrences (see {@link WordReader}). */
export interface Word {
  /** Lower-cased, after typo correction. */
  readonly lower: string;
  /** Stem of `lower` ("deleting" → "delet"). */
  readonly stem: string;
  /** True when `lower` is a typo correction of what was written. */
  readonly corrected: boolean;
}

/**
 * Reads a lower-cased written word: its correction and stem, plus whatever the reader attaches
 * (the lexicon attaches what its tables say about the stem). Readers cache per distinct word, so a
 * message costs one lookup per token.
 */
export interface WordReader<W extends Word = Word> {
  read(lowerRaw: string): W;
}

/** One token of a message. */
export interface Token<W extends Word = Word> {
  /** As written (quotes removed for a quoted span). */
  readonly raw: string;
  /** Lower-cased, after typo correction. */
  readonly lower: string;
  /** Stem of `lower` ("deleting" → "delet"); empty for quoted spans. */
  readonly stem: string;
  /** True for a quoted span ("the bucket 'delete-me'"): never read as a verb or a keyword. */
  readonly quoted: boolean;
  /** True when `lower` is a typo correction of what was written. */
  readonly corrected: boolean;
  /** True when the word was written with a possessive `'s` (removed from `raw`). */
  readonly possessive: boolean;
  /** The reader's word; undefined for a quoted span and for `$`. */
  readonly word: W | undefined;
}

/** A message split into tokens, with its quoted spans. */
export interface Analysis<W extends Word = Word> {
  readonly text: string;
  readonly tokens: readonly Token<W>[];
  /** Values of quoted spans, in order. */
  readonly quoted: readonly string[];
}

const stemCache = new Map<string, string>();
const STEM_CACHE_LIMIT = 20_000;

/**
 * A light English stemmer, applied the same way to the lexicon and to messages, so inflected
 * forms meet: deleting/deleted/deletes/delete → "delet", servers → "server", stopped → "stop".
 */
export function stem(word: string): string {
  const cached = stemCache.get(word);
  if (cached !== undefined) return cached;
  let w = word;
  if (w.length > 4 && w.endsWith("ies")) w = w.slice(0, -3) + "y";
  else if (w.length > 5 && w.endsWith("ing")) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith("ed") && !w.endsWith("eed")) w = undouble(w.slice(0, -2));
  else if (w.length > 3 && /(?:ss|sh|ch|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 2 && w.endsWith("s") && !/(?:ss|us|is|ous)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith("e")) w = w.slice(0, -1);
  if (stemCache.size < STEM_CACHE_LIMIT) stemCache.set(word, w);
  return w;
}

function undouble(w: string): string {
  const n = w.length;
  if (n >= 3 && w[n - 1] === w[n - 2] && !"lsz".includes(w[n - 1] ?? "")) return w.slice(0, -1);
  return w;
}

const OPEN_CLOSE: Readonly<Record<string, string>> = {
  '"': '"',
  "“": "”",
  "‘": "’",
  "`": "`",
  "'": "'",
  "«": "»",
};

function isWordChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 45 || // -
    c === 95 || // _
    c === 46 || // .
    c === 58 || // :
    c === 47 || // /
    c === 64 || // @
    c === 39 || // '
    c === 0x2019 || // ’
    c === 36 || // $
    c === 37 || // %
    c >= 0xc0 // letters beyond ASCII
  );
}

/** Trailing characters that end a sentence rather than a token. */
const TRAILING = /[.:'/@-]+$/;
const LEADING = /^['.:/-]+/;

/** Fixes common typos against a known vocabulary; see {@link createCorrector}. */
export interface Corrector {
  /** The corrected word, or undefined when the word is known or no single correction fits. */
  correct(word: string): string | undefined;
}

/** Reads words with a corrector (or none): correction and stem, no cache of its own. */
function plainReader(corrector?: Corrector): WordReader {
  return {
    read(lowerRaw: string): Word {
      const fixed = corrector?.correct(lowerRaw);
      const lower = fixed ?? lowerRaw;
      return { lower, stem: stemOfWord(lower), corrected: fixed !== undefined };
    },
  };
}

/** The stem of a lower-cased word, apostrophes dropped ("don't" → "dont"). */
export function stemOfWord(lower: string): string {
  return stem(lower.includes("'") ? lower.replace(/'/g, "") : lower);
}

const PLAIN_READER = plainReader();

/**
 * Splits a message into tokens. Quoted spans become one token each (`quoted: true`) so a name like
 * "delete-me" is never read as a verb. Every other word goes through `reader` (default: no
 * correction, stems only).
 */
export function analyze<W extends Word = Word>(text: string, reader?: WordReader<W>): Analysis<W> {
  const read = (reader ?? PLAIN_READER) as WordReader<W>;
  const tokens: Token<W>[] = [];
  const quoted: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    const close = isOpeningQuote(code) ? OPEN_CLOSE[text[i] ?? ""] : undefined;
    if (close !== undefined && (i === 0 || !isWordChar(text.charCodeAt(i - 1)))) {
      const end = text.indexOf(close, i + 1);
      // A quote closes only before a non-word character (so "don't" stays one word).
      if (end > i + 1 && (end + 1 >= n || !isLetterOrDigit(text.charCodeAt(end + 1)))) {
        const value = text.slice(i + 1, end).trim();
        if (value.length > 0) {
          quoted.push(value);
          tokens.push({
            raw: value,
            lower: value.toLowerCase(),
            stem: "",
            quoted: true,
            corrected: false,
            possessive: false,
            word: undefined,
          });
        }
        i = end + 1;
        continue;
      }
    }
    const c = text.charCodeAt(i);
    if (c === 36 /* $ */) {
      tokens.push({
        raw: "$",
        lower: "$",
        stem: "$",
        quoted: false,
        corrected: false,
        possessive: false,
        word: undefined,
      });
      i++;
      continue;
    }
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isWordChar(text.charCodeAt(j)) && text.charCodeAt(j) !== 36) j++;
    let raw = text.slice(i, j);
    // Most tokens neither end nor start with punctuation: no regex then.
    if (isEdgePunctuation(raw.charCodeAt(raw.length - 1))) raw = raw.replace(TRAILING, "");
    if (isEdgePunctuation(raw.charCodeAt(0))) raw = raw.replace(LEADING, "");
    i = j;
    if (raw.length === 0) continue;
    const possessive = raw.endsWith("'s") || raw.endsWith("’s");
    if (possessive) raw = raw.slice(0, -2);
    const word = read.read(raw.toLowerCase());
    tokens.push({
      raw,
      lower: word.lower,
      stem: word.stem,
      quoted: false,
      corrected: word.corrected,
      possessive,
      word,
    });
  }
  return { text, tokens, quoted };
}

/** One of the opening quotes of `OPEN_CLOSE`: " “ ‘ ` ' « */
function isOpeningQuote(c: number): boolean {
  return c === 34 || c === 39 || c === 96 || c === 0x201c || c === 0x2018 || c === 0xab;
}

/** A character `TRAILING` or `LEADING` may strip: . : ' / @ - */
function isEdgePunctuation(c: number): boolean {
  return c === 46 || c === 58 || c === 39 || c === 47 || c === 64 || c === 45;
}

/** True for a non-empty word of the letters a–z only (cheaper than a regex on the hot path). */
export function isPlainWord(w: string): boolean {
  if (w.length === 0) return false;
  for (let k = 0; k < w.length; k++) {
    const c = w.charCodeAt(k);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function isLetterOrDigit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

// Rows of editDistance, reused across calls (grown on demand): no allocation per comparison.
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), capped at `max + 1`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const m = a.length;
  const n = b.length;
  if (n + 1 > rowA.length) {
    const size = Math.max(n + 1, rowA.length * 2);
    rowA = new Int32Array(size);
    rowB = new Int32Array(size);
    rowC = new Int32Array(size);
  }
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let k = 0; k <= n; k++) {
    prev[k] = k;
    prev2[k] = 0;
  }
  for (let x = 1; x <= m; x++) {
    cur[0] = x;
    let rowMin = x;
    const ax = a.charCodeAt(x - 1);
    const axPrev = x > 1 ? a.charCodeAt(x - 2) : -1;
    for (let y = 1; y <= n; y++) {
      const by = b.charCodeAt(y - 1);
      const cost = ax === by ? 0 : 1;
      let v = (prev[y] as number) + 1;
      const ins = (cur[y - 1] as number) + 1;
      if (ins < v) v = ins;
      const sub = (prev[y - 1] as number) + cost;
      if (sub < v) v = sub;
      if (x > 1 && y > 1 && ax === b.charCodeAt(y - 2) && axPrev === by) {
        const swap = (prev2[y - 2] as number) + 1;
        if (swap < v) v = swap;
      }
      cur[y] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  const d = prev[n] as number;
  return d < max + 1 ? d : max + 1;
}

/** Common English words that are never "corrected" into a keyword (last ≠ list, best ≠ test). */
const COMMON_WORDS = new Set(
  (
    "a an the this that these those there their they them then than what which who whom whose when where why how " +
    "is are was were be been being am do does did done have has had having can could should would will shall may might must " +
    "i me my mine we us our you your he him his she her it its one ones some any all each every few many much more most less " +
    "least other another such only own same so too very just also still yet even ever never always often again once here " +
    "in on at by for with about against between into through during before after above below to from up down out off over under " +
    "and but or nor not no yes if because as until while of per via please thanks okay sure maybe " +
    "last lost best post most cost host list past fast test rest next text task mask desk disk risk " +
    "name same game came come home hope code mode node note vote made make take wake sale tale male mile " +
    "like line live give gave five life wife file fine mine nine time tine site size side wide ride hide " +
    "read real deal meal seal feel feet meet need seed send sent tent rent went want wait well tell sell " +
    "good bad big small new old high low long short hot cold top left right first second third " +
    "now today tonight tomorrow yesterday week month year day hour minute second morning evening night " +
    "thing things stuff way ways work works worked working look looks looked go goes went going get gets got " +
    "let lets put puts say says said see seen saw know knew think thought try tried use used using " +
    "old older oldest newer newest unused broken failing failed stuck slow fast ready " +
    "user users data date dates team teams account bill pill fill kill will hill mill " +
    "store stored share shared stage staged star start stat state states " +
    "print printed paint point points joint pint mint hint tint lint " +
    "about above after again along also always among answer around asked away back became because become before began begin behind being believe below better between both bring brought built call called came cannot carry cause change children city close country course cover cross cut different does door draw during early earth eat enough even every example eye face fact family far father feel few field figure find follow food form found four free friend from full gave general get girl give given good government great green ground group grow half hand happen hard head hear heard help here high hold horse house however idea important inside keep kind knew land large later learn leave left less letter light line list little long look made main make man many mark may mean men might mind miss money more morning most mother move much music must near never next night nothing notice number often once only open order other out over own page paper part pass people perhaps picture place plan plant play point power present problem product pull question quick quite rain ran reach ready remember rest road rock room round rule run said same saw school sea seem seen self sentence set several shape ship short should side simple since sing size sleep small so soon sound space special stand step still stood story street strong study such sun sure surface table take talk tell than thing think those though thought three through together told took toward town tree true turn two under unit until upon usual very voice walk wall war watch water wave well went were while white whole why wind winter with within without woman wonder word world write year young " +
    "able ago alone already although anyone anything anyway appear area argue arrive aside ask bear beat beyond bit blue bottom break bright brown busy buy card care careful carefully case catch center central certain chair chance charge check choose clear climb clock clothes coast cold color column company complete contain continue correct cost could count couple crowd cry current dark dead dear decide deep describe design detail develop die difference direct discuss distance divide doctor dollar dream dress drink drive drop dry during easy edge effect egg eight either else energy engine enjoy enter entire equal even event ever exact except excite exercise expect experience explain express fair fall famous farm fast fat fear feed fell fight fill final finger finish fire fit flat floor flow fly force foot forest forget forward fresh front fruit gather gold grass gray guess gun hair hat heat heavy hill history hit hole hope hot huge human hunt hurry ice inch include instead interest iron island job join jump key kill king kitchen knife lady lake late laugh law lay lead led lie lift likely listen lot love lower machine major mass master match matter meet member metal middle milk million minute modern moment moon motion mount mouth must nation natural nature necessary neck neighbor nose object ocean offer office oil operate opposite organ original oxygen pair party path pattern pay perfect period person pick piece plain planet please poem police pool poor pose position possible pound practice prepare press pretty print probable process property protect proud prove pull push quart quiet race radio raise range rather reason receive record region remain repeat reply report represent require result rich ride ring rise river root rope rose row safe sail salt sand save scale science score season seat section seed seize select sell send sense serve settle shall sharp shell shine shoe shop shore should shoulder shout show sight sign silent silver similar single sister sit skill skin sky slip slow smell smile snow soft soil soldier solution solve son song sort soul south speak speech speed spell spend spoke spot spread spring square stay steam steel stick stone stop straight strange stream stretch string student subject success sudden suffix sugar suggest suit summer supply support suppose surprise swim syllable symbol system tail teach tear teeth tell temperature term than thank thick thin third thus tie tiny tire toward track trade train travel trip trouble truck try tube type uncle understand until usual valley value vary view village visit wait warm wash waste weather weight west wheel whether wide wild win window wing wire wish women wood wore worker wrong yard yellow yes yet"
  ).split(" "),
);

/**
 * Builds a corrector over `vocabulary`: a word of 5+ letters at edit distance 1 (8+ letters: 2)
 * from exactly one vocabulary word — or one clearly closest — is corrected; 4-letter words only
 * for a swap of two adjacent letters. Known and common words are left alone. Results are cached.
 */
export function createCorrector(vocabulary: Iterable<string>): Corrector {
  const words = new Set<string>();
  for (const w of vocabulary) if (/^[a-z]{3,}$/.test(w)) words.add(w);
  const known = new Set<string>([...words, ...COMMON_WORDS]);
  const knownStems = new Set<string>([...known].map((w) => stem(w)));
  const deletes = new Map<string, string[]>();
  const index = (key: string, word: string): void => {
    const list = deletes.get(key);
    if (list === undefined) deletes.set(key, [word]);
    else if (!list.includes(word)) list.push(word);
  };
  for (const w of words) {
    index(w, w);
    for (let k = 0; k < w.length; k++) index(w.slice(0, k) + w.slice(k + 1), w);
  }
  const byLength = new Map<number, string[]>();
  for (const w of words) {
    const list = byLength.get(w.length) ?? [];
    list.push(w);
    byLength.set(w.length, list);
  }
  const cache = new Map<string, string | null>();

  const lookup = (word: string): string | undefined => {
    if (word.length < 4 || !/^[a-z]+$/.test(word) || known.has(word) || knownStems.has(stem(word)))
      return undefined;
    const candidates = new Set<string>();
    for (const c of deletes.get(word) ?? []) candidates.add(c);
    for (let k = 0; k < word.length; k++)
      for (const c of deletes.get(word.slice(0, k) + word.slice(k + 1)) ?? []) candidates.add(c);
    const maxDistance = word.length >= 8 ? 2 : 1;
    let best: string[] = [];
    let bestDistance = maxDistance + 1;
    const consider = (c: string): void => {
      const d = editDistance(word, c, maxDistance);
      if (d < bestDistance) {
        bestDistance = d;
        best = [c];
      } else if (d === bestDistance && !best.includes(c)) best.push(c);
    };
    for (const c of candidates) consider(c);
    if (maxDistance === 2 && bestDistance > 1) {
      for (let len = word.length - 2; len <= word.length + 2; len++)
        for (const c of byLength.get(len) ?? []) consider(c);
    }
    if (bestDistance > maxDistance) return undefined;
    // Two edits that also change the first letter make another word, not a typo (retention ≠ attention).
    if (bestDistance === 2) best = best.filter((c) => c[0] === word[0]);
    if (best.length === 0) return undefined;
    // Four letters: a swap of two adjacent letters, or one wrong letter after the first two ("logz").
    if (
      word.length === 4 &&
      !(
        bestDistance === 1 &&
        best.length === 1 &&
        (isSwap(word, best[0] ?? "") || (best[0] ?? "").slice(0, 2) === word.slice(0, 2))
      )
    )
      return undefined;
    // Up to six letters, a wrong letter is too often another real word (alice → alive): only a
    // missing, extra or swapped letter is corrected there.
    if (word.length >= 5 && word.length < 7)
      best = best.filter((c) => c.length !== word.length || isSwap(word, c));
    if (best.length === 0) return undefined;
    if (best.length > 1) {
      // Several at the same distance: keep the one sharing the first letter, if exactly one does.
      const sameFirst = best.filter((c) => c[0] === word[0]);
      if (sameFirst.length !== 1) return undefined;
      best = sameFirst;
    }
    return best[0];
  };

  return {
    correct(word: string): string | undefined {
      const hit = cache.get(word);
      if (hit !== undefined) return hit ?? undefined;
      const result = lookup(word);
      if (cache.size < 50_000) cache.set(word, result ?? null);
      return result;
    },
  };
}

function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let first = -1;
  for (let k = 0; k < a.length; k++) {
    if (a[k] !== b[k]) {
      if (first === -1) first = k;
      else
        return k === first + 1 && a[first] === b[k] && a[k] === b[first] && a.slice(k + 1) === b.slice(k + 1);
    }
  }
  return false;
}
