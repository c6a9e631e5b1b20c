import { randomBytes } from 'node:crypto'
import { ClientClosedError, DisconnectsClientError, ErrorReply, MultiErrorReply } from 'redis'
import { isUp } from './redis-guard.js'

// The streams adapter (0.3.1) sends each broadcast as one XADD and, when its answer does not come (Redis
// died after reading it, or before), gives the broadcast up: it may be in the stream or not, and the
// adapter cannot tell. Measured: one broadcast of 400 lost across a Redis SIGKILL. Sending it again
// could add it twice, and XADDs sent meanwhile would overtake it.
//
// So the stream entries of this node go out here, in order, one batch at a time (MULTI: all of a batch
// or none of it), each entry tagged with its batch. A batch whose answer was lost is settled once Redis
// answers again: its tag is looked for in the stream, and the batch is sent again only if absent.
// Entries published meanwhile wait behind it. Nothing lost, nothing twice, the order kept.

/** The commands the publisher needs of a node-redis client (or cluster client). */
interface StreamClient {
  readonly isOpen: boolean
  readonly isReady?: boolean
  on (event: string, listener: () => void): unknown
  off (event: string, listener: () => void): unknown
  multi (): StreamMulti
  xRange (key: string, start: string, end: string, options?: { COUNT: number }): Promise<Array<{ id: string, message: Record<string, string> }>>
}
interface StreamMulti {
  xAdd (key: string, id: string, fields: Record<string, string>, options: object): StreamMulti
  exec (): Promise<unknown[]>
}

interface Entry {
  readonly fields: Record<string, string>
  readonly resolve: (id: string) => void
  readonly reject: (err: Error) => void
}

/** The field of an entry that names its batch (the adapter reads only uid, nsp, type and data). */
export const BATCH_FIELD = 'fsb'
/** Entries waiting to be written at most (a Redis away for long): past it a broadcast is refused, counted. */
export const MAX_WAITING = 100_000
const MAX_BATCH = 512
const SCAN_PAGE = 1000

export class StreamPublisher {
  readonly #client: StreamClient
  readonly #stream: string
  readonly #trim: object
  readonly #onDrop: () => void
  readonly #onError: (err: unknown) => void
  readonly #instance = randomBytes(6).toString('hex')
  #waiting: Entry[] = []
  #batches = 0
  #busy = false
  #closed = false
  // the last id this publisher saw acknowledged: where a search for a batch in doubt starts
  #last = '-'
  #wake: (() => void) | undefined
  #published = 0
  #settled = 0
  readonly #barriers = new Set<{ target: number, resolve: (id: string | undefined) => void }>()

  constructor (client: unknown, stream: string, maxLen: number, events: { drop: () => void, error: (err: unknown) => void }) {
    this.#client = client as StreamClient
    this.#stream = stream
    this.#trim = { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxLen } }
    this.#onDrop = events.drop
    this.#onError = events.error
  }

  /** Appends an entry; resolves with its stream id once Redis holds it, rejects when it cannot ever. */
  async publish (fields: Record<string, string>): Promise<string> {
    if (this.#closed) throw new Error('fastify-sockets: the cluster is closed')
    if (this.#waiting.length >= MAX_WAITING) {
      this.#onDrop()
      throw new Error(`fastify-sockets: ${MAX_WAITING} broadcasts already wait for Redis`)
    }
    this.#published++
    return await new Promise<string>((resolve, reject) => {
      this.#waiting.push({ fields, resolve, reject })
      if (!this.#busy) void this.#drain()
    })
  }

  /** Resolves once everything published so far is settled, with the id of the last entry written (undefined: none yet). */
  async written (): Promise<string | undefined> {
    const last = (): string | undefined => this.#last === '-' ? undefined : this.#last
    if (this.#settled >= this.#published) return last()
    return await new Promise((resolve) => { this.#barriers.add({ target: this.#published, resolve: () => { resolve(last()) } }) })
  }

  /** Rejects what waits (the node is closing); nothing is written after. */
  close (): void {
    this.#closed = true
    this.#wake?.()
    const waiting = this.#waiting
    this.#waiting = []
    for (const entry of waiting) entry.reject(new Error('fastify-sockets: the cluster closed before Redis took this broadcast'))
    for (const barrier of this.#barriers) barrier.resolve(undefined)
    this.#barriers.clear()
  }

  async #drain (): Promise<void> {
    this.#busy = true
    while (this.#waiting.length > 0 && !this.#closed) {
      const batch = this.#waiting.splice(0, MAX_BATCH)
      const tag = `${this.#instance}:${++this.#batches}`
      const result = await this.#settle(batch, tag)
      if (result instanceof Error) {
        for (const entry of batch) entry.reject(result)
      } else {
        batch.forEach((entry, i) => { entry.resolve(result[i] as string) })
        this.#last = result.at(-1) ?? this.#last
      }
      this.#settled += batch.length
      for (const barrier of this.#barriers) {
        if (barrier.target <= this.#settled) { this.#barriers.delete(barrier); barrier.resolve(undefined) }
      }
    }
    this.#busy = false
  }

  // The ids of the batch once in the stream, or why it never will be.
  async #settle (batch: Entry[], tag: string): Promise<string[] | Error> {
    let inDoubt = false
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) return new Error('fastify-sockets: the cluster closed before Redis took this broadcast')
      try {
        if (inDoubt) {
          const found = await this.#find(tag)
          if (found !== undefined) return found
        }
        const multi = this.#client.multi()
        for (const entry of batch) multi.xAdd(this.#stream, '*', { ...entry.fields, [BATCH_FIELD]: tag }, this.#trim)
        return (await multi.exec()).map(String)
      } catch (err) {
        // Redis answered with an error (nothing was added), or the client was closed: final
        if (err instanceof ErrorReply || err instanceof ClientClosedError || err instanceof DisconnectsClientError) {
          // a MULTI's own message only counts its failed commands: the first of them says why
          const reason = err instanceof MultiErrorReply ? err.replies.find((reply): reply is Error => reply instanceof Error) ?? err : err
          this.#onError(reason)
          return reason
        }
        // the connection went before the answer: the batch may be in the stream
        inDoubt = true
        await this.#ready(Math.min(50 * 2 ** attempt, 1000))
      }
    }
  }

  // The ids of the entries tagged `tag` after the last id acknowledged, or undefined when absent.
  async #find (tag: string): Promise<string[] | undefined> {
    let start = this.#last
    let exclusive = start !== '-'
    for (;;) {
      const page = await this.#client.xRange(this.#stream, exclusive ? `(${start}` : start, '+', { COUNT: SCAN_PAGE })
      const ids = page.filter((entry) => entry.message[BATCH_FIELD] === tag).map((entry) => entry.id)
      if (ids.length > 0) return ids
      if (page.length < SCAN_PAGE) return undefined
      start = (page.at(-1) as { id: string }).id
      exclusive = true
    }
  }

  // Waits for the client to be ready again (and at least `pause` ms between attempts), or the close.
  async #ready (pause: number): Promise<void> {
    if (this.#closed) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (isUp(this.#client)) { finish(); return }
        this.#client.on('ready', finish)
      }, pause)
      const finish = (): void => {
        clearTimeout(timer)
        this.#client.off('ready', finish)
        this.#wake = undefined
        resolve()
      }
      this.#wake = finish
    })
  }
}
