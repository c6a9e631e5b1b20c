// On 'streams', a node's broadcasts travel in the Redis stream and its membership changes on the bus
// (pub/sub): two paths, so a broadcast followed at once by a leave could reach the other node after the
// leave, and miss the socket it was sent to (on pub/sub one connection carries both, in order). So a
// change carries the id of the last entry its sender had written (`after`), and a node applies it only
// once its own reader has read that far: the broadcast first, then the change.

/** Compares two stream ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareIds (a: string, b: string): number {
  const [ams = '0', aseq = '0'] = a.split('-')
  const [bms = '0', bseq = '0'] = b.split('-')
  return ams.length !== bms.length ? ams.length - bms.length : ams !== bms ? (ams < bms ? -1 : 1) : Number(aseq) - Number(bseq)
}

/** A stream id as Redis makes them. */
export const STREAM_ID = /^[0-9]{1,20}-[0-9]{1,20}$/

/** How far this node's reader has read the stream. */
export class StreamProgress {
  #seen: string | undefined
  readonly #waiting = new Set<{ id: string, resolve: () => void }>()

  /** The last entry the reader handed over, or where it started; undefined until it has started. */
  get position (): string | undefined {
    return this.#seen
  }

  /** The reader handed over entry `id` (entries come in stream order). */
  seen (id: string): void {
    if (this.#seen !== undefined && compareIds(id, this.#seen) <= 0) return
    this.#seen = id
    for (const waiter of this.#waiting) {
      if (compareIds(waiter.id, id) <= 0) { this.#waiting.delete(waiter); waiter.resolve() }
    }
  }

  /**
   * Resolves once the reader has read `id`, or after `ms` (an entry trimmed, or written before this node's
   * reader started, is never read: the change is applied then anyway, as it would be on pub/sub).
   */
  async reached (id: string, ms: number): Promise<void> {
    if (this.#seen !== undefined && compareIds(id, this.#seen) <= 0) return
    await new Promise<void>((resolve) => {
      const waiter = { id, resolve: () => { clearTimeout(timer); resolve() } }
      const timer = setTimeout(() => { this.#waiting.delete(waiter); resolve() }, ms)
      this.#waiting.add(waiter)
    })
  }
}
