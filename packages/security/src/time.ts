import { DateTime } from "luxon";
import type { Schedule } from "@espada/infra-core";
import { WEEKDAYS } from "@espada/infra-core";

/** Local day of week (1 = Monday … 7 = Sunday) and minute of the day in some time zone. */
export interface LocalTime {
  readonly weekday: number;
  readonly minuteOfDay: number;
}

const cache = new Map<string, { minute: number; value: LocalTime }>();

/**
 * The wall-clock day and minute of `epochMs` in `zone`, from luxon's time-zone rules (so daylight
 * saving is applied as the zone's law says). Cached per zone for the current UTC minute.
 */
export function localTime(epochMs: number, zone: string): LocalTime {
  const minute = Math.floor(epochMs / 60_000);
  const hit = cache.get(zone);
  if (hit !== undefined && hit.minute === minute) return hit.value;
  const dt = DateTime.fromMillis(epochMs, { zone });
  const value: LocalTime = { weekday: dt.weekday, minuteOfDay: dt.hour * 60 + dt.minute };
  if (cache.size > 256) cache.clear();
  cache.set(zone, { minute, value });
  return value;
}

/** A schedule ready to test instants against. */
export interface CompiledSchedule {
  /** Bit i set when ISO weekday i (1–7) is a listed day. */
  readonly days: number;
  readonly start: number;
  readonly end: number;
  readonly timezone: string;
  /** `mon–fri 09:00–17:00 Europe/London`, for reasons. */
  readonly label: string;
  /** The answer for one UTC minute (the schedule's state only changes on a minute boundary). */
  readonly last: { minute: number; open: boolean };
}

function minutes(clock: string): number {
  const [h, m] = clock.split(":");
  return Number(h) * 60 + Number(m);
}

/** Compiles a schedule (days, `HH:mm` start/end, IANA zone). */
export function compileSchedule(
  schedule: Pick<Schedule, "days" | "start" | "end" | "timezone">,
): CompiledSchedule {
  let days = 0;
  for (const day of schedule.days) days |= 1 << (WEEKDAYS.indexOf(day) + 1);
  const dayLabel = schedule.days.length === 7 ? "every day" : schedule.days.join(",");
  return {
    days,
    start: minutes(schedule.start),
    end: minutes(schedule.end),
    timezone: schedule.timezone,
    label: `${dayLabel} ${schedule.start}–${schedule.end} ${schedule.timezone}`,
    last: { minute: Number.NaN, open: false },
  };
}

/**
 * True when the schedule is open at `epochMs`. A window whose end is not after its start crosses
 * midnight and belongs to the day it opens on: `fri 22:00–02:00` is open Friday 22:00 to Saturday
 * 02:00. Times are wall-clock times: on a day whose clocks skip an hour, the skipped minutes never
 * occur; on a day whose clocks repeat an hour, the repeated minutes are inside the window twice.
 */
export function isScheduleOpen(schedule: CompiledSchedule, epochMs: number): boolean {
  const minute = Math.floor(epochMs / 60_000);
  const last = schedule.last;
  if (last.minute === minute) return last.open;
  const open = openAt(schedule, epochMs);
  last.minute = minute;
  last.open = open;
  return open;
}

function openAt(schedule: CompiledSchedule, epochMs: number): boolean {
  const { weekday, minuteOfDay } = localTime(epochMs, schedule.timezone);
  if (schedule.start < schedule.end) {
    return (
      (schedule.days & (1 << weekday)) !== 0 && minuteOfDay >= schedule.start && minuteOfDay < schedule.end
    );
  }
  if (minuteOfDay >= schedule.start && (schedule.days & (1 << weekday)) !== 0) return true;
  const previous = weekday === 1 ? 7 : weekday - 1;
  return minuteOfDay < schedule.end && (schedule.days & (1 << previous)) !== 0;
}
