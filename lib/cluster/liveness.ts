import { performance } from 'node:perf_hooks'

// Who can be heard through Redis: this node itself and its peers.
//
// A live TCP link proves nothing (a paused or overloaded Redis, a partition that keeps connections up):
// the proof that Redis carries this node's messages is its own heartbeat coming back on the shared
// channel. A node that has not heard itself for heartbeatTimeout is cut off. A peer is gone only when
// it stayed silent while this node kept hearing itself; silence heard by a deaf node proves nothing.
//
// After a stall, Redis delivers the messages it held in a burst, this node's before or after a peer's.
// So a gap in this node's own echo restarts every peer's clock: a peer is judged only on silence within
// one run of uninterrupted hearing. The gap bound (heartbeatTimeout - 1.5 heartbeatInterval, at least
// 1.5 intervals since heartbeatTimeout >= 3 intervals) is what keeps a stall too short to be noticed from
// expiring a peer whose heartbeats it merely delayed.

export class Liveness {
  readonly #timeout: number
  readonly #gap: number
  readonly #peers = new Map<string, number>()
  readonly #onDeaf: () => void
  #lastEcho = -Infinity
  #hearingSince = -Infinity
  // fires heartbeatTimeout after the last echo
  #deafTimer: NodeJS.Timeout
  #stopped = false

  /** `onDeaf` is called when this node has not heard itself for heartbeatTimeout. */
  constructor (heartbeatInterval: number, heartbeatTimeout: number, onDeaf: () => void) {
    this.#timeout = heartbeatTimeout
    this.#gap = heartbeatTimeout - 1.5 * heartbeatInterval
    this.#onDeaf = onDeaf
    this.#deafTimer = this.#watch(heartbeatTimeout)
  }

  /** This node's own message came back through Redis at `now`. */
  echo (now: number): void {
    if (now - this.#lastEcho > this.#gap) this.#hearingSince = now
    this.#lastEcho = now
    this.#deafTimer.refresh()
  }

  stop (): void {
    this.#stopped = true
    clearTimeout(this.#deafTimer)
  }

  /** Whether this node heard itself within heartbeatTimeout. */
  hearing (now: number): boolean {
    return now - this.#lastEcho <= this.#timeout
  }

  /** Milliseconds since this node last heard itself (Infinity before the first time). */
  silentFor (now: number): number {
    return now - this.#lastEcho
  }

  /** A peer spoke at `now`. */
  heard (node: string, now: number): void {
    this.#peers.set(node, now)
  }

  /** Removes a peer; whether it was known. */
  forget (node: string): boolean {
    return this.#peers.delete(node)
  }

  /** The peers silent for heartbeatTimeout while this node heard itself throughout. */
  expired (now: number): string[] {
    if (now - this.#lastEcho > this.#gap) return []
    const gone: string[] = []
    for (const [node, seen] of this.#peers) {
      if (now - Math.max(seen, this.#hearingSince) > this.#timeout) gone.push(node)
    }
    return gone
  }

  peers (): string[] {
    return [...this.#peers.keys()]
  }

  get size (): number {
    return this.#peers.size
  }

  // Checks after the I/O of that turn (setImmediate): a node whose event loop was blocked reads the echo
  // waiting in its socket before it concludes that it heard nothing. A timer can fire a little before
  // heartbeatTimeout has passed since the echo (it counts from the loop's cached time): then it waits on.
  #watch (delay: number): NodeJS.Timeout {
    return setTimeout(() => {
      setImmediate(() => {
        if (this.#stopped) return
        const silent = this.silentFor(performance.now())
        if (silent <= this.#timeout) this.#deafTimer = this.#watch(this.#timeout - silent + 1)
        else this.#onDeaf()
      })
    }, delay).unref()
  }
}
