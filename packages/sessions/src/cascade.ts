/**
 * Which batches of an append pipeline a failure takes with it: every batch issued after the failed
 * one and before its failure was known (they follow it in the log's order and were chained after
 * it), and none issued later (those were chained after the cut).
 */
export class Cascade {
  private issued = 0;
  private readonly failures: { readonly after: number; readonly before: number }[] = [];

  /** The sequence number of a batch issued now. */
  issue(): number {
    return this.issued++;
  }

  /** Batch `seq` failed: every batch issued after it so far fails with it. */
  fail(seq: number): void {
    if (this.issued > seq + 1) this.failures.push({ after: seq, before: this.issued });
  }

  /** True when a batch issued before `seq` failed after `seq` was issued. */
  doomed(seq: number): boolean {
    for (const f of this.failures) if (f.after < seq && seq < f.before) return true;
    return false;
  }

  /** Nothing is in flight any more: the failures recorded cannot doom a batch issued from now on. */
  idle(): void {
    this.failures.length = 0;
  }
}
