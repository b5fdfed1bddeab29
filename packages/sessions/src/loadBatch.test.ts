// The load of a state directory reads record files into one buffer and parses a batch of them with
// one JSON.parse; these tests hold it to the reference: each file decoded on its own.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "@espada/infra-core";
import { FileStateStore } from "./fileStateStore.js";
import {
  decodeKey,
  decodeRecordFile,
  encodeKey,
  encodeRecordFile,
  isSealedBytes,
  seal,
} from "./fileFormat.js";
import { cleanupAfterEach } from "../test/helpers.js";

const { dir } = cleanupAfterEach();

const recordFile = (d: string, key: string): string => join(d, "records", `${encodeKey(key)}.json`);

/** What each record file decodes to on its own (the reference the batched load must agree with). */
function reference(d: string): { loaded: Map<string, JsonValue>; failed: string[] } {
  const loaded = new Map<string, JsonValue>();
  const failed: string[] = [];
  for (const name of readdirSync(join(d, "records"))) {
    const key = decodeKey(name.slice(0, -5));
    if (key === undefined) {
      failed.push(`?${name}`); // not a record file name
      continue;
    }
    const decoded = decodeRecordFile(readFileSync(join(d, "records", name), "utf8"), "record", key);
    if (decoded.ok) loaded.set(key, decoded.record.value);
    else failed.push(key);
  }
  return { loaded, failed: failed.sort() };
}

async function reopen(d: string): Promise<{ loaded: Map<string, JsonValue>; failed: string[] }> {
  const store = await FileStateStore.open({ directory: d });
  try {
    const loaded = new Map((await store.list("")).map((r) => [r.key, r.value] as const));
    const failed = store.problems.map((p) => p.key ?? `?${basename(p.file ?? "")}`).sort();
    return { loaded, failed };
  } finally {
    await store.close();
  }
}

/** A body that closes its envelope and opens another: two elements of a batch's array. */
const TWO_ELEMENTS = '1},{"c":"00000000","e":{}';

/** A body that is valid JSON only together with its neighbours, or not at all. */
const crafted = [
  '{"format":"espada-state"', // not JSON alone: breaks the whole batch's parse
  TWO_ELEMENTS,
  "1",
  "[]",
  '"text"',
  '{"format":"espada-state","v":1,"kind":"record","key":"other","version":1,"updatedAt":1,"value":1}',
  "",
];

describe("loading a state directory in batches", () => {
  it("agrees with decoding each file alone, whatever is damaged (fault property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.oneof(
              fc.record({ cut: fc.nat() }),
              fc.record({ flip: fc.nat() }),
              fc.record({ body: fc.constantFrom(...crafted) }),
              fc.record({ body: fc.string({ maxLength: 20 }) }),
              fc.record({ badUtf8: fc.nat() }),
              // a name that is not canonical (QR decodes as QQ does), or another key's name
              fc.record({ rename: fc.constantFrom("QR", "Zm9v", "a-_b", "QQ", "QUJD") }),
            ),
          ),
          { maxLength: 6 },
        ),
        async (keys, damages) => {
          const d = dir();
          const store = await FileStateStore.open({ directory: d });
          for (const [i, key] of keys.entries()) await store.put(key, { i, key, list: [i, "x"] });
          await store.close();
          for (const [at, damage] of damages) {
            const key = keys[at % keys.length] as string;
            const path = recordFile(d, key);
            if (!existsSync(path)) continue; // renamed by an earlier damage
            const bytes = readFileSync(path);
            if (bytes.length === 0) continue;
            if ("cut" in damage) writeFileSync(path, bytes.subarray(0, damage.cut % bytes.length));
            else if ("flip" in damage) {
              const i = damage.flip % bytes.length;
              bytes[i] = (bytes[i] as number) ^ 0x01;
              writeFileSync(path, bytes);
            } else if ("body" in damage) writeFileSync(path, seal(damage.body));
            else if ("rename" in damage) renameSync(path, join(d, "records", `${damage.rename}.json`));
            else {
              // invalid UTF-8 under a checksum taken over the very bytes
              const body = Buffer.concat([
                Buffer.from(`{"format":"espada-state","v":1,"kind":"record","key":${JSON.stringify(key)},`),
                Buffer.from([0x22, 0x78, 0xff, 0xfe, 0x22]), // "x\xff\xfe"
                Buffer.from(`:1,"version":1,"updatedAt":1,"value":${damage.badUtf8}}`),
              ]);
              const { crc32 } = await import("node:zlib");
              const sum = crc32(body).toString(16).padStart(8, "0");
              writeFileSync(path, Buffer.concat([Buffer.from(`{"c":"${sum}","e":`), body, Buffer.from("}")]));
            }
          }
          const expected = reference(d);
          const got = await reopen(d);
          expect(got.failed).toEqual(expected.failed);
          expect(got.loaded).toEqual(expected.loaded);
          // the damaged files were moved aside, the others stay
          expect(readdirSync(join(d, "records"))).toHaveLength(expected.loaded.size);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a file holding two JSON values does not shift the files after it in its batch", async () => {
    const d = dir();
    const store = await FileStateStore.open({ directory: d });
    for (let i = 0; i < 20; i++) await store.put(`k/${i}`, i);
    await store.close();
    const first = readdirSync(join(d, "records"))[0] as string; // read first: every other file follows it
    // alone not JSON; in a batch, two elements: `{"c":…,"e":1},{"c":"00000000","e":{}}`
    writeFileSync(join(d, "records", first), seal(TWO_ELEMENTS));
    const expected = reference(d);
    expect(expected.failed).toHaveLength(1);
    expect(await reopen(d)).toEqual(expected);
  });

  it("loads many records over several batches, a file larger than the read buffer among them", async () => {
    const d = dir();
    const store = await FileStateStore.open({ directory: d });
    const big = "b".repeat(3 * 1024 * 1024); // past the batch size and the initial buffer
    const values = new Map<string, JsonValue>();
    for (let i = 0; i < 40; i++) values.set(`k/${i}`, { i, pad: "p".repeat(100_000 + i) });
    values.set("big", { big });
    for (const [key, value] of values) await store.put(key, value);
    await store.close();
    // one damaged file in the middle of a batch takes nothing else with it
    writeFileSync(recordFile(d, "k/7"), seal('{"format":"espada-state"'));
    values.delete("k/7");
    const got = await reopen(d);
    expect(got.failed).toEqual(["k/7"]);
    expect(got.loaded).toEqual(values);
  });

  it("checks envelope and checksum on the bytes as the text check does", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.boolean(), (value, at, damage) => {
        const text = encodeRecordFile("record", { key: "k", value, version: 1, updatedAt: 1 });
        const bytes = Buffer.from(text, "utf8");
        if (damage) {
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ 0x20;
        }
        const padded = Buffer.concat([Buffer.from("xx"), bytes, Buffer.from("yy")]);
        const sealed = isSealedBytes(padded, 2, 2 + bytes.length);
        expect(sealed).toBe(isSealedBytes(bytes, 0, bytes.length));
        if (sealed) expect(decodeRecordFile(bytes.toString("utf8"), "record", "k").ok).toBe(true);
        if (!damage) expect(sealed).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
