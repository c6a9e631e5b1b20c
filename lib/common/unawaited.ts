import type { FastifyBaseLogger } from 'fastify'
import { ThinnedCount } from './log.js'

// Sails code calls `sails.sockets.join(req, room)` without a callback, and ported routes call
// `app.sockets.join(request, room)` without `await`. When such a promise rejects (a reserved room, the room
// cap, a refused guard, a cluster outage), Node exits on the unhandled rejection, and the client chose the
// input that does it. So the promises the public API returns are never unhandled: one nobody observes is
// logged with its coded error instead, and one that is awaited (or given a `.then`/`.catch`) rejects as usual.

/** A promise that knows whether anyone asked for its outcome. Its derived promises are plain ones. */
class Watched<T> extends Promise<T> {
  static override get [Symbol.species] (): PromiseConstructor { return Promise }

  observed = false

  // `await`, `return`, Promise.all and .catch/.finally all reach the outcome through `then` (a subclass
  // instance is not a native promise, so `await` calls it too).
  override then<A = T, B = never> (onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    this.observed = true
    return super.then(onFulfilled, onRejected)
  }
}

const observe = Promise.prototype.then

/** Logs the rejections of the promises nobody observes; the first ten, then at the 16th, 32nd, ... */
export class UnawaitedRejections {
  readonly #log: FastifyBaseLogger
  readonly #count = new ThinnedCount()

  constructor (log: FastifyBaseLogger) {
    this.#log = log
  }

  /**
   * Runs `work` and returns its outcome as a promise that cannot become an unhandled rejection. Work done
   * synchronously (a join on one node) resolves a plain promise: only one that can reject needs watching.
   */
  watch<T> (work: () => T | Promise<T>): Promise<T> {
    let result: T | Promise<T>
    try {
      result = work()
    } catch (err) {
      result = Promise.reject(err)
    }
    if (!(result instanceof Promise)) return Promise.resolve(result)
    const pending = result
    const out = new Watched<T>((resolve, reject) => { pending.then(resolve, reject) })
    // Handled here without marking it observed. The check waits a turn of the event loop: `await` asks for
    // the outcome a microtask after the call returned, and the rejection may already be there.
    observe.call(out, undefined, (err: unknown) => {
      setImmediate(() => { if (!out.observed) this.#report(err) })
    })
    return out
  }

  #report (err: unknown): void {
    const n = this.#count.next()
    if (n === undefined) return
    const code = (err as { code?: unknown } | null)?.code
    this.#log.error({ err, code, unawaited: n },
      `fastify-sockets: a fastify.sockets promise nobody awaited rejected${typeof code === 'string' ? ` (${code})` : ''}: await it or add .catch()`)
  }
}
