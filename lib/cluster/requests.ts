import { FST_SOCKETS_CLUSTER_TIMEOUT, FST_SOCKETS_CLUSTER_UNAVAILABLE } from '../errors.js'

// The requests this node sent that every live node must answer: whom each still waits for, its
// deadline, and the error naming the nodes that did not answer.

interface Pending {
  readonly what: string
  readonly expected: Set<string>
  readonly results: Map<string, unknown>
  readonly accept: ((value: unknown) => boolean) | undefined
  readonly resolve: (results: Map<string, unknown>) => void
  readonly reject: (err: Error) => void
  readonly timer: NodeJS.Timeout
}

export class PendingRequests {
  readonly #timeout: number
  readonly #pending = new Map<string, Pending>()
  #seq = 0

  constructor (timeout: number) {
    this.#timeout = timeout
  }

  /**
   * Sends request `what` to the `expected` nodes through `send(id)` (which resolves false when Redis did
   * not take it) and resolves with their answers by node, once all answered (or `accept` took one);
   * rejects FST_SOCKETS_CLUSTER_TIMEOUT at the deadline, naming the silent nodes.
   */
  async open (what: string, expected: Set<string>, accept: Pending['accept'], send: (id: string) => Promise<boolean>): Promise<Map<string, unknown>> {
    if (expected.size === 0) return new Map()
    const id = (++this.#seq).toString(36)
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#fail(id, (silent) => new FST_SOCKETS_CLUSTER_TIMEOUT(what, this.#timeout, silent)) }, this.#timeout)
      this.#pending.set(id, { what, expected, results: new Map(), accept, resolve, reject, timer })
      void send(id).then((sent) => {
        if (!sent) this.#fail(id, (silent) => new FST_SOCKETS_CLUSTER_UNAVAILABLE(what, 'publishing to Redis failed', silent))
      })
    })
  }

  /** `node` answered request `id` with `value` (an acknowledgement is `true`). */
  answer (id: string, node: string, value: unknown): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    pending.results.set(node, value)
    if (pending.accept?.(value) === true) this.#settle(id, pending)
    else this.#check(id, pending)
  }

  /** `node` is gone (it said goodbye, or went silent): nothing waits for it any more. */
  forget (node: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.expected.delete(node)) this.#check(id, pending)
    }
  }

  /** Rejects every request now with FST_SOCKETS_CLUSTER_UNAVAILABLE(`reason`), naming the nodes each waited for. */
  failAll (reason: string): void {
    for (const [id, pending] of this.#pending) this.#fail(id, (silent) => new FST_SOCKETS_CLUSTER_UNAVAILABLE(pending.what, reason, silent))
  }

  #fail (id: string, error: (silent: string[]) => Error): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    clearTimeout(pending.timer)
    this.#pending.delete(id)
    pending.reject(error([...pending.expected].filter((node) => !pending.results.has(node))))
  }

  #settle (id: string, pending: Pending): void {
    clearTimeout(pending.timer)
    this.#pending.delete(id)
    pending.resolve(pending.results)
  }

  #check (id: string, pending: Pending): void {
    for (const node of pending.expected) if (!pending.results.has(node)) return
    this.#settle(id, pending)
  }
}
