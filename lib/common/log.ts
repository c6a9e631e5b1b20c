import type { FastifyBaseLogger } from 'fastify'
import { messageOf } from './values.js'

/**
 * Counts events a client or a peer can cause at will and says which of them to log: the first ten,
 * then the 16th, 32nd, 64th, ... so a flood of N costs about log2(N) lines.
 */
export class ThinnedCount {
  #n = 0

  /** Counts one more; returns the running count when this one should be logged, else undefined. */
  next (): number | undefined {
    const n = ++this.#n
    return n <= 10 || (n & (n - 1)) === 0 ? n : undefined
  }
}

// How often one kind of error may be logged; the rest are counted into the next line.
const LOG_EVERY_MS = 10_000

/** Logs the first error of each kind at once, then at most one line per 10 s with a count. */
export class ThrottledLog {
  readonly #log: FastifyBaseLogger
  readonly #prefix: string
  readonly #last = new Map<string, { at: number, suppressed: number }>()

  constructor (log: FastifyBaseLogger, prefix: string) {
    this.#log = log
    this.#prefix = prefix
  }

  error (kind: string, err: unknown): void {
    const now = Date.now()
    const entry = this.#last.get(kind)
    if (entry !== undefined && now - entry.at < LOG_EVERY_MS) { entry.suppressed++; return }
    const code = (err as { code?: unknown } | null)?.code
    this.#log.error({ cluster: kind, err: { message: messageOf(err), code }, suppressed: entry?.suppressed ?? 0 },
      `${this.#prefix}: ${kind} error`)
    this.#last.set(kind, { at: now, suppressed: 0 })
  }
}
