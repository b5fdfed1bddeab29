/** Entries an index makes room for at first (it doubles when full). */
const INITIAL_CAPACITY = 16;

/**
 * Where the kept entries of a log file are: per entry its position, timestamp and the byte range of
 * its line (newline included), in typed arrays. The file store keeps this instead of the entries, so
 * an appended value is garbage as soon as it is written: nothing per entry for the garbage collector
 * to trace or promote, and a read decodes the lines it needs from the file.
 */
export class LogIndex {
  private positions = new Float64Array(INITIAL_CAPACITY);
  private timestamps = new Float64Array(INITIAL_CAPACITY);
  private starts = new Float64Array(INITIAL_CAPACITY);
  private ends = new Float64Array(INITIAL_CAPACITY);
  private count = 0;

  /** Entries indexed. */
  get length(): number {
    return this.count;
  }

  /** Indexes one more entry (positions only grow). */
  add(position: number, timestamp: number, start: number, end: number): void {
    if (this.count === this.positions.length) this.grow();
    const i = this.count++;
    this.positions[i] = position;
    this.timestamps[i] = timestamp;
    this.starts[i] = start;
    this.ends[i] = end;
  }

  /** Position of entry `i`. */
  positionAt(i: number): number {
    return this.positions[i] as number;
  }

  /** Timestamp of entry `i`. */
  timestampAt(i: number): number {
    return this.timestamps[i] as number;
  }

  /** Byte offset of the line of entry `i`. */
  startAt(i: number): number {
    return this.starts[i] as number;
  }

  /** Byte offset just after the line (and newline) of entry `i`. */
  endAt(i: number): number {
    return this.ends[i] as number;
  }

  /** Index of the first entry whose position is at or after `position` (binary search). */
  firstAtOrAfter(position: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.positions[mid] as number) < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Forgets every entry. */
  clear(): void {
    this.count = 0;
  }

  private grow(): void {
    const size = this.positions.length * 2;
    const widen = (from: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(size);
      to.set(from);
      return to;
    };
    this.positions = widen(this.positions);
    this.timestamps = widen(this.timestamps);
    this.starts = widen(this.starts);
    this.ends = widen(this.ends);
  }
}
