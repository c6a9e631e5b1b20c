import type { Socket as RawSocket } from 'socket.io-client'
import { SocketClientError, type ClientErrorCode } from './errors.js'
import { jwrOfAck, type JWR } from './jwr.js'
import type { RequestCallback } from './types.js'

// The requests of one client socket: queued while not connected, in flight until their ack, each settled
// exactly once (answer, deadline, disconnect or failure).

// A listener that throws must not break the socket's own bookkeeping: rethrow outside our stack.
export function safeCall (fn: (...args: never[]) => void, args: unknown[]): void {
  try {
    (fn as (...a: unknown[]) => void)(...args)
  } catch (err) {
    queueMicrotask(() => { throw err })
  }
}

/** A request as the socket was asked for it. */
export interface RequestSpec {
  readonly method: string
  readonly url: string
  readonly data: unknown
  readonly headers: Record<string, string> | undefined
}

interface Outgoing extends RequestSpec {
  readonly done: (err: SocketClientError | undefined, jwr: JWR) => void
  timer: ReturnType<typeof setTimeout> | undefined
  settled: boolean
}

/** Where a new request goes: out now (with the socket's default headers), into the queue, or failed. */
export type SubmitTo = { raw: RawSocket, headers: Record<string, string> } | 'waiting' | 'disconnected'

/** The request bookkeeping of one client socket. */
export class Requests {
  readonly #queue: Outgoing[] = []
  readonly #inFlight = new Set<Outgoing>()

  /** Takes a request: a Promise of its JWR, or nothing when a `(body, jwr)` callback is given. */
  submit (spec: RequestSpec, cb: RequestCallback | undefined, deadline: number | undefined, to: SubmitTo): Promise<JWR> | void {
    let promise: Promise<JWR> | undefined
    let done: Outgoing['done']
    if (cb !== undefined) {
      done = (err, jwr) => { if (err !== undefined) cb(err, err.jwr as JWR<null>); else cb(jwr.body, jwr) }
    } else {
      let resolve!: (jwr: JWR) => void
      let reject!: (err: unknown) => void
      promise = new Promise<JWR>((_resolve, _reject) => { resolve = _resolve; reject = _reject })
      done = (err, jwr) => { if (err !== undefined) reject(err); else resolve(jwr) }
    }
    const out: Outgoing = { ...spec, done, timer: undefined, settled: false }
    if (deadline !== undefined) {
      out.timer = setTimeout(() => this.#settle(out, new SocketClientError('FST_SOCKETS_CLIENT_TIMEOUT', deadline)), deadline)
    }
    if (to === 'disconnected') {
      // Settled on a later tick, like every other outcome, so a callback never runs before request() returns.
      queueMicrotask(() => this.#settle(out, new SocketClientError('FST_SOCKETS_CLIENT_NOT_CONNECTED')))
    } else if (to === 'waiting') {
      this.#queue.push(out)
    } else {
      this.#send(out, to.raw, to.headers)
    }
    return promise
  }

  /** Sends the queued requests, in the order they were made. */
  sendQueued (raw: RawSocket, headers: Record<string, string>): void {
    for (const out of this.#queue.splice(0)) this.#send(out, raw, headers)
  }

  /** Fails every request sent and not answered. */
  failInFlight (code: ClientErrorCode): void {
    for (const out of [...this.#inFlight]) this.#settle(out, new SocketClientError(code))
  }

  /** Fails every request waiting for a connection. */
  failQueued (code: ClientErrorCode, cause?: unknown): void {
    for (const out of this.#queue.splice(0)) this.#settle(out, new SocketClientError(code, undefined, cause))
  }

  #send (out: Outgoing, raw: RawSocket, defaults: Record<string, string>): void {
    const headers = out.headers === undefined ? { ...defaults } : { ...defaults, ...lowerKeys(out.headers) }
    this.#inFlight.add(out)
    // `data: {}` when none, as sails.io.js sends: routes written for it may read fields of the body.
    raw.emit(out.method, { method: out.method, url: out.url, headers, data: out.data ?? {} }, (ack: unknown) => {
      this.#settle(out, undefined, jwrOfAck(ack))
    })
  }

  #settle (out: Outgoing, err: SocketClientError | undefined, jwr?: JWR): void {
    if (out.settled) return
    out.settled = true
    if (out.timer !== undefined) clearTimeout(out.timer)
    this.#inFlight.delete(out)
    const i = this.#queue.indexOf(out)
    if (i !== -1) this.#queue.splice(i, 1)
    // A callback that throws must not stop the loops that settle the others (disconnect, failures):
    // its error is rethrown on its own, as a listener's is.
    safeCall(out.done as (...args: never[]) => void, [err, jwr])
  }
}

function lowerKeys (headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of Object.keys(headers)) out[name.toLowerCase()] = headers[name] as string
  return out
}
