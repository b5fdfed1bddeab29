import { describe, expect, it } from "vitest";
import { blackoutWindowSchema, timeWindowSchema } from "@espada/infra-core";
import type { TimeWindow } from "@espada/infra-core";
import { InfrastructureTimeWindowManager } from "./timeWindows.js";
import { compileSchedule, isScheduleOpen } from "./time.js";
import { Clock, memoryStore, RecordingAudit } from "../test/support.js";

const Z = (iso: string): number => Date.parse(`${iso}Z`);
const window = (input: Record<string, unknown>): TimeWindow => timeWindowSchema.parse({ id: "w", ...input });
const openAt = (w: TimeWindow, iso: string): boolean => isScheduleOpen(compileSchedule(w), Z(iso));

// Expected instants are worked out by hand from each zone's rules, not computed with the library under test.
describe("time windows across daylight-saving changes", () => {
  it("America/New_York: 09:00–17:00 weekdays moves from 14:00Z to 13:00Z when EDT starts (8 March 2026)", () => {
    const w = window({
      days: ["mon", "tue", "wed", "thu", "fri"],
      start: "09:00",
      end: "17:00",
      timezone: "America/New_York",
    });
    expect(openAt(w, "2026-03-06T13:59:00")).toBe(false); // Fri 08:59 EST
    expect(openAt(w, "2026-03-06T14:00:00")).toBe(true); // Fri 09:00 EST
    expect(openAt(w, "2026-03-06T21:59:00")).toBe(true);
    expect(openAt(w, "2026-03-06T22:00:00")).toBe(false);
    expect(openAt(w, "2026-03-09T12:59:00")).toBe(false); // Mon 08:59 EDT
    expect(openAt(w, "2026-03-09T13:00:00")).toBe(true); // Mon 09:00 EDT
    expect(openAt(w, "2026-03-09T20:59:00")).toBe(true);
    expect(openAt(w, "2026-03-09T21:00:00")).toBe(false); // 17:00 EDT
  });

  it("America/New_York: a window over the skipped hour is two real hours long; over the repeated hour it is open twice", () => {
    const spring = window({ days: ["sun"], start: "01:00", end: "04:00", timezone: "America/New_York" });
    expect(openAt(spring, "2026-03-08T05:59:00")).toBe(false); // 00:59 EST
    expect(openAt(spring, "2026-03-08T06:00:00")).toBe(true); // 01:00 EST
    expect(openAt(spring, "2026-03-08T07:00:00")).toBe(true); // 03:00 EDT (02:00 never happened)
    expect(openAt(spring, "2026-03-08T07:59:00")).toBe(true); // 03:59 EDT
    expect(openAt(spring, "2026-03-08T08:00:00")).toBe(false); // 04:00 EDT
    const fall = window({ days: ["sun"], start: "01:00", end: "02:00", timezone: "America/New_York" });
    expect(openAt(fall, "2026-11-01T04:59:00")).toBe(false); // 00:59 EDT
    expect(openAt(fall, "2026-11-01T05:30:00")).toBe(true); // 01:30 EDT
    expect(openAt(fall, "2026-11-01T06:30:00")).toBe(true); // 01:30 EST, the second time
    expect(openAt(fall, "2026-11-01T07:00:00")).toBe(false); // 02:00 EST
  });

  it("Europe/London: weekday window follows BST (29 March 2026) and a window crossing midnight loses the skipped hour", () => {
    const w = window({
      days: ["mon", "tue", "wed", "thu", "fri"],
      start: "09:00",
      end: "17:30",
      timezone: "Europe/London",
    });
    expect(openAt(w, "2026-03-27T09:00:00")).toBe(true); // Fri 09:00 GMT
    expect(openAt(w, "2026-03-27T08:59:00")).toBe(false);
    expect(openAt(w, "2026-03-30T08:00:00")).toBe(true); // Mon 09:00 BST
    expect(openAt(w, "2026-03-30T07:59:00")).toBe(false);
    expect(openAt(w, "2026-03-30T16:29:00")).toBe(true); // 17:29 BST
    expect(openAt(w, "2026-03-30T16:30:00")).toBe(false);
    const night = window({ days: ["sat"], start: "22:00", end: "02:00", timezone: "Europe/London" });
    expect(openAt(night, "2026-03-28T21:59:00")).toBe(false);
    expect(openAt(night, "2026-03-28T22:00:00")).toBe(true); // Sat 22:00 GMT
    expect(openAt(night, "2026-03-29T00:59:00")).toBe(true); // Sun 00:59 GMT, still the Saturday window
    expect(openAt(night, "2026-03-29T01:00:00")).toBe(false); // 02:00 BST: closed
    // autumn (25 October 2026): 01:00–02:00 happens twice, so the same window is an hour longer
    expect(openAt(night, "2026-10-25T00:30:00")).toBe(true); // 01:30 BST
    expect(openAt(night, "2026-10-25T01:30:00")).toBe(true); // 01:30 GMT
    expect(openAt(night, "2026-10-25T02:00:00")).toBe(false); // 02:00 GMT
  });

  it("America/Santiago: clocks change at midnight, so a Sunday window starts at 01:00 on the spring day", () => {
    // 6 September 2026, 04:00Z: Saturday 24:00 -04 becomes Sunday 01:00 -03
    const sunday = window({ days: ["sun"], start: "00:00", end: "06:00", timezone: "America/Santiago" });
    expect(openAt(sunday, "2026-09-06T03:59:00")).toBe(false); // Sat 23:59 -04
    expect(openAt(sunday, "2026-09-06T04:00:00")).toBe(true); // Sun 01:00 -03
    expect(openAt(sunday, "2026-09-06T08:59:00")).toBe(true); // 05:59 -03
    expect(openAt(sunday, "2026-09-06T09:00:00")).toBe(false); // 06:00 -03 (a fixed -04 would still be open)
    const weekdays = window({
      days: ["mon", "tue", "wed", "thu", "fri"],
      start: "09:00",
      end: "17:00",
      timezone: "America/Santiago",
    });
    expect(openAt(weekdays, "2026-09-04T13:00:00")).toBe(true); // Fri 09:00 -04
    expect(openAt(weekdays, "2026-09-04T12:59:00")).toBe(false);
    expect(openAt(weekdays, "2026-09-07T12:00:00")).toBe(true); // Mon 09:00 -03
    expect(openAt(weekdays, "2026-09-07T11:59:00")).toBe(false);
  });

  it("America/Santiago: on the autumn day Saturday 23:00 happens twice and Sunday starts at 04:00Z", () => {
    // 5 April 2026, 03:00Z: Sunday 00:00 -03 becomes Saturday 23:00 -04
    const late = window({ days: ["sat"], start: "22:00", end: "24:00", timezone: "America/Santiago" });
    expect(openAt(late, "2026-04-05T01:00:00")).toBe(true); // Sat 22:00 -03
    expect(openAt(late, "2026-04-05T02:30:00")).toBe(true); // Sat 23:30 -03
    expect(openAt(late, "2026-04-05T03:30:00")).toBe(true); // Sat 23:30 -04, again
    expect(openAt(late, "2026-04-05T04:00:00")).toBe(false); // Sun 00:00 -04
    const sunday = window({ days: ["sun"], start: "00:00", end: "01:00", timezone: "America/Santiago" });
    expect(openAt(sunday, "2026-04-05T03:30:00")).toBe(false); // still Saturday there
    expect(openAt(sunday, "2026-04-05T04:00:00")).toBe(true);
    expect(openAt(sunday, "2026-04-05T04:59:00")).toBe(true);
    expect(openAt(sunday, "2026-04-05T05:00:00")).toBe(false);
  });
});

describe("windows crossing midnight", () => {
  it("belong to the day they open on", () => {
    const w = window({ days: ["fri"], start: "22:00", end: "02:00" });
    expect(openAt(w, "2026-03-06T21:59:00")).toBe(false); // Fri
    expect(openAt(w, "2026-03-06T22:00:00")).toBe(true);
    expect(openAt(w, "2026-03-07T01:59:00")).toBe(true); // Sat morning, Friday's window
    expect(openAt(w, "2026-03-07T02:00:00")).toBe(false);
    expect(openAt(w, "2026-03-07T22:30:00")).toBe(false); // Saturday night: not listed
    expect(openAt(w, "2026-03-06T01:00:00")).toBe(false); // Friday early morning: Thursday's window, not listed
  });

  it("refuses an empty window and an unknown time zone with paths", () => {
    const r = timeWindowSchema.safeParse({ id: "w", start: "10:00", end: "10:00", timezone: "Mars/Olympus" });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["end", "timezone"]));
  });
});

describe("InfrastructureTimeWindowManager", () => {
  const prodWindow = window({
    id: "prod-hours",
    environments: ["production"],
    riskLevels: ["high", "critical"],
    days: ["mon", "tue", "wed", "thu", "fri"],
    start: "09:00",
    end: "17:00",
    timezone: "Europe/London",
  });
  const freeze = blackoutWindowSchema.parse({
    id: "freeze",
    environments: ["production"],
    start: "2026-12-20T00:00:00Z",
    end: "2027-01-04T00:00:00Z",
    reason: "holiday freeze",
  });

  it("allows inside a window, denies outside it, ignores other environments and levels", () => {
    const clock = new Clock(Z("2026-03-04T10:00:00")); // Wednesday 10:00 GMT
    const m = new InfrastructureTimeWindowManager([prodWindow], [], {
      store: memoryStore(clock),
      now: clock.now,
    });
    expect(m.check("production", "high")).toMatchObject({ allowed: true, basis: "window", id: "prod-hours" });
    clock.value = Z("2026-03-07T10:00:00"); // Saturday
    const outside = m.check("production", "critical");
    expect(outside).toMatchObject({ allowed: false, basis: "outside" });
    expect(outside.reason).toContain("Europe/London");
    expect(m.check("production", "low")).toMatchObject({ allowed: true, basis: "no-window" });
    expect(m.check("staging", "critical")).toMatchObject({ allowed: true, basis: "no-window" });
  });

  it("denies during a blackout even inside a window", () => {
    const clock = new Clock(Z("2026-12-22T10:00:00")); // Tuesday
    const m = new InfrastructureTimeWindowManager([prodWindow], [freeze], {
      store: memoryStore(clock),
      now: clock.now,
    });
    expect(m.check("production", "high")).toMatchObject({ allowed: false, basis: "blackout", id: "freeze" });
    expect(m.check("staging", "high").allowed).toBe(true);
  });

  it("opens everything for an audited, persisted, expiring emergency override", async () => {
    const clock = new Clock(Z("2026-12-22T10:00:00"));
    const store = memoryStore(clock);
    const audit = new RecordingAudit();
    const m = new InfrastructureTimeWindowManager([prodWindow], [freeze], { store, audit, now: clock.now });
    await expect(m.override("ops", "production", " ", 60_000)).rejects.toMatchObject({ field: "reason" });
    await m.override("ops", "production", "sev1 outage", 60_000);
    expect(m.check("production", "critical")).toMatchObject({ allowed: true, basis: "override" });
    expect(audit.ofType("time_window_override")).toHaveLength(1);
    const again = new InfrastructureTimeWindowManager([prodWindow], [freeze], { store, now: clock.now });
    await again.load();
    expect(again.check("production", "critical").basis).toBe("override");
    clock.advance(60_000);
    expect(m.check("production", "critical").basis).toBe("blackout");
  });

  it("does not override when the audit cannot be written (fail closed)", async () => {
    const clock = new Clock(Z("2026-12-22T10:00:00"));
    const audit = new RecordingAudit();
    audit.failing = true;
    const m = new InfrastructureTimeWindowManager([prodWindow], [freeze], {
      store: memoryStore(clock),
      audit,
      now: clock.now,
    });
    await expect(m.override("ops", "production", "sev1", 60_000)).rejects.toThrow();
    expect(m.check("production", "critical").basis).toBe("blackout");
  });
});
