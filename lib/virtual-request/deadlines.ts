// The deadlines of the requests in flight, on one timer. They all have the same duration, so the order
// they were added in is the order they expire in: the timer waits for the oldest. Per request this costs
// a clock read and a Set entry, where a timer of its own cost ~0.25 µs to arm and clear (the round-trip
// bench); the timer fires at most once per duration while requests come and go.

/** Deadlines of one duration for many items; `onExpired` is called for each item still there at its deadline. */
export class Deadlines<T extends { deadline: number }> {
  readonly #ms: number
  readonly #onExpired: (item: T) => void
  // insertion order is deadline order
  readonly #queue = new Set<T>()
  #timer: NodeJS.Timeout | undefined

  constructor (ms: number, onExpired: (item: T) => void) {
    this.#ms = ms
    this.#onExpired = onExpired
  }

  add (item: T): void {
    item.deadline = performance.now() + this.#ms
    this.#queue.add(item)
    if (this.#timer === undefined) this.#arm(this.#ms)
  }

  delete (item: T): void {
    this.#queue.delete(item)
  }

  #arm (ms: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(1, Math.ceil(ms)))
    // the requests' own sockets keep the process alive while they wait, not their deadlines
    this.#timer.unref()
  }

  readonly #sweep = (): void => {
    this.#timer = undefined
    const now = performance.now()
    for (const item of this.#queue) {
      if (item.deadline > now) {
        this.#arm(item.deadline - now)
        return
      }
      this.#queue.delete(item)
      this.#onExpired(item)
    }
  }
}
