import { io as ioClient, type Socket as RawSocket } from 'socket.io-client'
import type { EventName, EventPayload } from '../rooms/declarations.js'
import { SocketClientError, type ClientErrorCode } from './errors.js'
import { jwrOfAck, type JWR } from './jwr.js'
import { isPlainObject, type ResolvedClientOptions } from './options.js'

/** Server -> client events from the server's registry (`SocketEvents`); `string` -> `unknown` when nothing is declared. */
export type ServerEvents = { [E in EventName]: EventPayload<E> }

/** Connection events of the client itself; these names never reach server listeners. */
export interface LifecycleEvents {
  /** Connected, the first time and after every reconnection. */
  connect: () => void
  /** Connection lost or closed; `reason` is socket.io's (`'io server disconnect'`, `'transport close'`, ...). */
  disconnect: (reason: string) => void
  /** A connection attempt failed. */
  connect_error: (err: Error) => void
  /** A reconnection attempt starts. */
  reconnecting: (attempt: number) => void
  /** Reconnected after `attempt` attempts (`connect` follows). */
  reconnect: (attempt: number) => void
  /** Reconnection gave up (`reconnectionAttempts` exhausted). */
  reconnect_failed: () => void
}

const LIFECYCLE: ReadonlySet<string> = new Set(['connect', 'disconnect', 'connect_error', 'reconnecting', 'reconnect', 'reconnect_failed'])
const METHODS: ReadonlySet<string> = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options'])

/** A request of `socket.request()`, as in sails.io.js. */
export interface RequestOptions {
  /** One of get post put patch delete head options (any case). @default 'get' */
  method?: string
  /** A path on the server, e.g. `/user/1?x=1`. */
  url: string
  /** Body (post/put/patch/delete) or query parameters (get/head). */
  data?: unknown
  /** sails.io.js alias of `data`; give one or the other. */
  params?: unknown
  /** Headers of this request; they win over the socket's default headers. */
  headers?: Record<string, string>
}

/**
 * The sails.io.js callback: `(body, jwr)`. When the server never answered (statusCode 0), `body` is the
 * error, as in sails.io.js, and `jwr` is `{ body: null, statusCode: 0, headers: {}, error }`.
 */
export type RequestCallback<Body = unknown> = (body: Body | SocketClientError, jwr: JWR<Body | null>) => void

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected'
type Listener = (...args: never[]) => void

interface Outgoing {
  readonly method: string
  readonly url: string
  readonly data: unknown
  readonly headers: Record<string, string> | undefined
  readonly done: (err: SocketClientError | undefined, jwr: JWR) => void
  timer: ReturnType<typeof setTimeout> | undefined
  settled: boolean
}

/** What a socket connects to; read when it first connects (the browser's `io.socket` is configured after creation). */
export type ConnectTarget = () => { url: string, options: ResolvedClientOptions }

function usage (reason: string): SocketClientError {
  return new SocketClientError('FST_SOCKETS_CLIENT_INVALID_ARGUMENT', reason)
}

// A listener that throws must not break the socket's own bookkeeping: rethrow outside our stack.
function safeCall (fn: Listener, args: unknown[]): void {
  try {
    (fn as (...a: unknown[]) => void)(...args)
  } catch (err) {
    queueMicrotask(() => { throw err })
  }
}

/**
 * A socket of the fastify-sockets client SDK, with the sails.io.js `SailsSocket` API: requests answered
 * by the server's routes, pushed events, queueing while not connected. Create it with `connect()`.
 *
 * @example
 * ```ts
 * import { connect } from 'fastify-sockets/client'
 *
 * const socket = connect('http://127.0.0.1:3000')
 * const { body, statusCode } = await socket.get('/hello')
 * socket.on('hello', (data) => console.log(data.howdy))
 * socket.put('/rooms/lobby/members', {}, (body, jwr) => console.log(jwr.statusCode))
 * ```
 */
export class ClientSocket<Events extends object = ServerEvents> {
  readonly #target: ConnectTarget
  #options: ResolvedClientOptions | undefined
  #raw: RawSocket | undefined
  #state: State = 'idle'
  #headers: Record<string, string> | undefined
  readonly #queue: Outgoing[] = []
  readonly #inFlight = new Set<Outgoing>()
  readonly #lifecycle = new Map<string, Set<Listener>>()
  readonly #listeners: Array<[string, Listener]> = []

  /** @internal use `connect()` */
  constructor (target: ConnectTarget) {
    this.#target = target
  }

  /** The socket id while connected (it changes on every reconnection). */
  get id (): string | undefined {
    return this.#raw?.id
  }

  /** The underlying socket.io-client socket, once connecting started: the escape hatch. */
  get raw (): RawSocket | undefined {
    return this.#raw
  }

  /** Headers added to every request of this socket (a request's own headers win). */
  get headers (): Record<string, string> {
    return { ...(this.#headers ?? this.#options?.headers) }
  }

  set headers (value: Record<string, string>) {
    if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
      throw usage('headers must be an object of strings')
    }
    this.#headers = { ...value }
  }

  /** `true` while connected. */
  isConnected (): boolean {
    return this.#state === 'connected' && this.#raw?.connected === true
  }

  /** `true` while (re)connecting; requests made now are queued. */
  isConnecting (): boolean {
    return this.#state === 'connecting' || this.#state === 'reconnecting'
  }

  /** sails.io.js: `true` for the browser's `io.socket` before it starts auto-connecting. */
  mightBeAboutToAutoConnect (): boolean {
    return this.#state === 'idle'
  }

  /**
   * Closes the connection. Requests waiting for an answer or queued settle with statusCode 0
   * (FST_SOCKETS_CLIENT_DISCONNECTED); later requests fail with FST_SOCKETS_CLIENT_NOT_CONNECTED until
   * `reconnect()`. Calling it again does nothing.
   */
  disconnect (): this {
    const wasOpen = this.#state !== 'disconnected'
    this.#state = 'disconnected'
    this.#failInFlight('FST_SOCKETS_CLIENT_DISCONNECTED')
    this.#failQueue('FST_SOCKETS_CLIENT_DISCONNECTED')
    if (wasOpen) this.#raw?.disconnect()
    return this
  }

  /** Connects again after `disconnect()` (or a connection the server closed). Does nothing while connected or connecting. */
  reconnect (): this {
    if (this.#state === 'connected' || this.#state === 'connecting' || this.#state === 'reconnecting') return this
    if (this.#raw === undefined) {
      try {
        this.#raw = this.#createRaw()
      } catch (err) {
        // bad options (e.g. io.sails settings read at auto-connect): nothing queued may wait for a connection that never comes
        this.#state = 'disconnected'
        this.#failQueue('FST_SOCKETS_CLIENT_OPTIONS_INVALID', err)
        throw err
      }
    }
    this.#state = 'connecting'
    this.#raw.connect()
    return this
  }

  /**
   * Listens to a server event (typed from the server's `SocketEvents`) or a lifecycle event
   * (`connect`, `disconnect`, `connect_error`, `reconnecting`, `reconnect`, `reconnect_failed`). Chainable.
   */
  on<E extends keyof LifecycleEvents> (event: E, listener: LifecycleEvents[E]): this
  on<E extends keyof Events & string> (event: E, listener: (payload: Events[E]) => void): this
  on (event: string, listener: Listener): this {
    if (typeof event !== 'string' || event.length === 0) throw usage('event must be a non-empty string')
    if (typeof listener !== 'function') throw usage('listener must be a function')
    if (LIFECYCLE.has(event)) {
      let set = this.#lifecycle.get(event)
      if (set === undefined) this.#lifecycle.set(event, set = new Set())
      set.add(listener)
    } else {
      this.#listeners.push([event, listener])
      this.#raw?.on(event, listener as (...args: unknown[]) => void)
    }
    return this
  }

  /** Removes a listener added with `on`. Chainable. */
  off<E extends keyof LifecycleEvents> (event: E, listener: LifecycleEvents[E]): this
  off<E extends keyof Events & string> (event: E, listener: (payload: Events[E]) => void): this
  off (event: string, listener: Listener): this {
    if (LIFECYCLE.has(event)) {
      this.#lifecycle.get(event)?.delete(listener)
    } else {
      const i = this.#listeners.findIndex(([e, l]) => e === event && l === listener)
      if (i !== -1) this.#listeners.splice(i, 1)
      this.#raw?.off(event, listener as (...args: unknown[]) => void)
    }
    return this
  }

  /** Removes every listener (server and lifecycle events). */
  removeAllListeners (): this {
    for (const [event, listener] of this.#listeners) this.#raw?.off(event, listener as (...args: unknown[]) => void)
    this.#listeners.length = 0
    this.#lifecycle.clear()
    return this
  }

  /** GET `url`; `data` becomes query parameters. Promise of the JWR, or the sails.io.js `(body, jwr)` callback. */
  get<Body = unknown> (url: string, cb: RequestCallback<Body>): void
  get<Body = unknown> (url: string, data: unknown, cb: RequestCallback<Body>): void
  get<Body = unknown> (url: string, data?: unknown): Promise<JWR<Body>>
  get (url: string, data?: unknown, cb?: RequestCallback): Promise<JWR> | void {
    return this.#verb('get', url, data, cb)
  }

  /** POST `data` as the JSON body of `url`. */
  post<Body = unknown> (url: string, cb: RequestCallback<Body>): void
  post<Body = unknown> (url: string, data: unknown, cb: RequestCallback<Body>): void
  post<Body = unknown> (url: string, data?: unknown): Promise<JWR<Body>>
  post (url: string, data?: unknown, cb?: RequestCallback): Promise<JWR> | void {
    return this.#verb('post', url, data, cb)
  }

  /** PUT `data` as the JSON body of `url`. */
  put<Body = unknown> (url: string, cb: RequestCallback<Body>): void
  put<Body = unknown> (url: string, data: unknown, cb: RequestCallback<Body>): void
  put<Body = unknown> (url: string, data?: unknown): Promise<JWR<Body>>
  put (url: string, data?: unknown, cb?: RequestCallback): Promise<JWR> | void {
    return this.#verb('put', url, data, cb)
  }

  /** PATCH `data` as the JSON body of `url`. */
  patch<Body = unknown> (url: string, cb: RequestCallback<Body>): void
  patch<Body = unknown> (url: string, data: unknown, cb: RequestCallback<Body>): void
  patch<Body = unknown> (url: string, data?: unknown): Promise<JWR<Body>>
  patch (url: string, data?: unknown, cb?: RequestCallback): Promise<JWR> | void {
    return this.#verb('patch', url, data, cb)
  }

  /** DELETE `url` (with `data` as the JSON body when given). */
  delete<Body = unknown> (url: string, cb: RequestCallback<Body>): void
  delete<Body = unknown> (url: string, data: unknown, cb: RequestCallback<Body>): void
  delete<Body = unknown> (url: string, data?: unknown): Promise<JWR<Body>>
  delete (url: string, data?: unknown, cb?: RequestCallback): Promise<JWR> | void {
    return this.#verb('delete', url, data, cb)
  }

  /**
   * Any request: `{ method, url, data, headers }`. Resolves with the JWR of every answer the server
   * gives (4xx and 5xx included, with `jwr.error` set); rejects only when there is no answer
   * (statusCode 0: disconnect, failed connection, `requestTimeout`). Invalid arguments throw at once.
   *
   * @example
   * ```ts
   * const jwr = await socket.request({ method: 'post', url: '/pets', data: { name: 'rex' }, headers: { 'x-trace': '1' } })
   * ```
   */
  request<Body = unknown> (options: RequestOptions, cb: RequestCallback<Body>): void
  request<Body = unknown> (options: RequestOptions): Promise<JWR<Body>>
  request (options: RequestOptions, cb?: RequestCallback): Promise<JWR> | void {
    if (!isPlainObject(options)) throw usage('request() takes an object { method, url, data, headers }')
    const method = options.method ?? 'get'
    if (typeof method !== 'string' || !METHODS.has(method.toLowerCase())) {
      throw usage(`method must be one of ${[...METHODS].join(', ')}, got '${String(method)}'`)
    }
    if (options.data !== undefined && options.params !== undefined) throw usage('give data or params, not both')
    return this.#submit(method.toLowerCase(), options.url, options.data ?? options.params, options.headers, cb)
  }

  #verb (method: string, url: string, data: unknown, cb: RequestCallback | undefined): Promise<JWR> | void {
    if (typeof data === 'function' && cb === undefined) return this.#submit(method, url, undefined, undefined, data as RequestCallback)
    return this.#submit(method, url, data, undefined, cb)
  }

  #submit (method: string, url: unknown, data: unknown, headers: unknown, cb: RequestCallback | undefined): Promise<JWR> | void {
    if (typeof url !== 'string' || url.length === 0) throw usage('url must be a non-empty string')
    if (headers !== undefined && (!isPlainObject(headers) || !Object.values(headers).every((v) => typeof v === 'string'))) {
      throw usage('headers must be an object of strings')
    }
    if (cb !== undefined && typeof cb !== 'function') throw usage('the callback must be a function')

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
    const out: Outgoing = { method, url, data, headers: headers as Record<string, string> | undefined, done, timer: undefined, settled: false }

    const deadline = this.#options?.requestTimeout
    if (deadline !== undefined) {
      out.timer = setTimeout(() => this.#settle(out, new SocketClientError('FST_SOCKETS_CLIENT_TIMEOUT', deadline)), deadline)
    }
    if (this.isConnected()) {
      this.#send(out)
    } else if (this.#state === 'disconnected') {
      // Settled on a later tick, like every other outcome, so a callback never runs before request() returns.
      queueMicrotask(() => this.#settle(out, new SocketClientError('FST_SOCKETS_CLIENT_NOT_CONNECTED')))
    } else {
      this.#queue.push(out)
    }
    return promise
  }

  #send (out: Outgoing): void {
    const raw = this.#raw as RawSocket
    const defaults = this.#headers ?? this.#options?.headers ?? {}
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
    safeCall(out.done as Listener, [err, jwr])
  }

  #failInFlight (code: ClientErrorCode): void {
    for (const out of [...this.#inFlight]) this.#settle(out, new SocketClientError(code))
  }

  #failQueue (code: ClientErrorCode, cause?: unknown): void {
    for (const out of this.#queue.splice(0)) this.#settle(out, new SocketClientError(code, undefined, cause))
  }

  #emit (event: keyof LifecycleEvents, ...args: unknown[]): void {
    const set = this.#lifecycle.get(event)
    if (set === undefined) return
    for (const listener of [...set]) safeCall(listener, args)
  }

  #createRaw (): RawSocket {
    const { url, options } = this.#target()
    this.#options = options
    const raw = ioClient(url, options.io)
    for (const [event, listener] of this.#listeners) raw.on(event, listener as (...args: unknown[]) => void)
    raw.on('connect', () => {
      this.#state = 'connected'
      // Queued requests go out in the order they were made, before anyone hears about the connection.
      for (const out of this.#queue.splice(0)) this.#send(out)
      this.#emit('connect')
    })
    raw.on('disconnect', (reason) => {
      // Packets socket.io-client buffered while the link was already dying would be sent after a reconnect,
      // running requests this SDK is about to report as failed: drop them.
      (raw as unknown as { sendBuffer?: unknown[] }).sendBuffer?.splice(0)
      const reconnecting = this.#state !== 'disconnected' && raw.active && options.reconnection
      if (this.#state !== 'disconnected') this.#state = reconnecting ? 'reconnecting' : 'disconnected'
      this.#failInFlight('FST_SOCKETS_CLIENT_DISCONNECTED')
      if (this.#state === 'disconnected') this.#failQueue('FST_SOCKETS_CLIENT_DISCONNECTED')
      this.#emit('disconnect', reason)
    })
    raw.on('connect_error', (err) => {
      if (this.#state !== 'disconnected' && !(raw.active && options.reconnection)) {
        this.#state = 'disconnected'
        this.#failQueue('FST_SOCKETS_CLIENT_CONNECT_FAILED', err)
      }
      this.#emit('connect_error', err)
    })
    raw.io.on('reconnect_attempt', (attempt) => { this.#emit('reconnecting', attempt) })
    raw.io.on('reconnect', (attempt) => { this.#emit('reconnect', attempt) })
    raw.io.on('reconnect_failed', () => {
      if (this.#state !== 'disconnected') {
        this.#state = 'disconnected'
        this.#failQueue('FST_SOCKETS_CLIENT_CONNECT_FAILED')
      }
      this.#emit('reconnect_failed')
    })
    return raw
  }
}

function lowerKeys (headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of Object.keys(headers)) out[name.toLowerCase()] = headers[name] as string
  return out
}
