import { io as ioClient, type Socket as RawSocket } from 'socket.io-client'
import { SocketClientError } from './errors.js'
import type { JWR } from './jwr.js'
import { Requests, safeCall } from './requests.js'
import { isPlainObject, type ResolvedClientOptions } from './options.js'
import type { ServerEvents, LifecycleEvents, RequestOptions, RequestCallback, ConnectTarget, VerbMethod } from './types.js'

export type { ServerEvents, LifecycleEvents, RequestOptions, RequestCallback, ConnectTarget, VerbMethod } from './types.js'

const LIFECYCLE: ReadonlySet<string> = new Set(['connect', 'disconnect', 'connect_error', 'reconnecting', 'reconnect', 'reconnect_failed'])
const METHODS: ReadonlySet<string> = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options'])

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected'
type Listener = (...args: never[]) => void

function usage (reason: string): SocketClientError {
  return new SocketClientError('FST_SOCKETS_CLIENT_INVALID_ARGUMENT', reason)
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
  readonly #requests = new Requests()
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

  /**
   * `true` when the last connection recovered the one before it (the server's `recovery` option): same
   * socket id, same rooms, and the broadcasts sent meanwhile delivered, in order. `false` for a fresh
   * connection, whose rooms the app must join again. Requests queued while reconnecting go out either way;
   * requests in flight at the drop failed with `FST_SOCKETS_CLIENT_DISCONNECTED` (never retried).
   *
   * @example
   * ```ts
   * socket.on('connect', () => { if (!socket.recovered) void socket.get('/rooms/join') })
   * ```
   */
  get recovered (): boolean {
    return this.#state === 'connected' && this.#raw?.recovered === true
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
    this.#requests.failInFlight('FST_SOCKETS_CLIENT_DISCONNECTED')
    this.#requests.failQueued('FST_SOCKETS_CLIENT_DISCONNECTED')
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
        this.#requests.failQueued('FST_SOCKETS_CLIENT_OPTIONS_INVALID', err)
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
  declare readonly get: VerbMethod
  /** POST `data` as the JSON body of `url`. */
  declare readonly post: VerbMethod
  /** PUT `data` as the JSON body of `url`. */
  declare readonly put: VerbMethod
  /** PATCH `data` as the JSON body of `url`. */
  declare readonly patch: VerbMethod
  /** DELETE `url` (with `data` as the JSON body when given). */
  declare readonly delete: VerbMethod

  static {
    // One method per verb on the prototype, each the sails.io.js `(url, data?, cb?)` form.
    for (const verb of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      Object.defineProperty(ClientSocket.prototype, verb, {
        configurable: true,
        writable: true,
        value: function (this: ClientSocket<object>, url: string, data?: unknown, cb?: RequestCallback): Promise<JWR> | void {
          return this.#verb(verb, url, data, cb)
        }
      })
    }
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
    const state = this.isConnected() ? 'connected' : this.#state === 'disconnected' ? 'disconnected' : 'waiting'
    return this.#requests.submit({ method, url, data, headers: headers as Record<string, string> | undefined }, cb,
      this.#options?.requestTimeout, state === 'connected' ? { raw: this.#raw as RawSocket, headers: this.#defaultHeaders() } : state)
  }

  #defaultHeaders (): Record<string, string> {
    return this.#headers ?? this.#options?.headers ?? {}
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
      this.#requests.sendQueued(raw, this.#defaultHeaders())
      this.#emit('connect')
    })
    raw.on('disconnect', (reason) => {
      // Packets socket.io-client buffered while the link was already dying would be sent after a reconnect,
      // running requests this SDK is about to report as failed: drop them.
      (raw as unknown as { sendBuffer?: unknown[] }).sendBuffer?.splice(0)
      const reconnecting = this.#state !== 'disconnected' && raw.active && options.reconnection
      if (this.#state !== 'disconnected') this.#state = reconnecting ? 'reconnecting' : 'disconnected'
      this.#requests.failInFlight('FST_SOCKETS_CLIENT_DISCONNECTED')
      if (this.#state === 'disconnected') this.#requests.failQueued('FST_SOCKETS_CLIENT_DISCONNECTED')
      this.#emit('disconnect', reason)
    })
    raw.on('connect_error', (err) => {
      // socket.io writes a recovered session's missed packets before its middlewares (onConnection) decide;
      // socket.io-client holds them until the connection: a refused recovery must not hand them over later
      (raw as unknown as { receiveBuffer?: unknown[] }).receiveBuffer?.splice(0)
      if (this.#state !== 'disconnected' && !(raw.active && options.reconnection)) {
        this.#state = 'disconnected'
        this.#requests.failQueued('FST_SOCKETS_CLIENT_CONNECT_FAILED', err)
      }
      this.#emit('connect_error', err)
    })
    raw.io.on('reconnect_attempt', (attempt) => { this.#emit('reconnecting', attempt) })
    raw.io.on('reconnect', (attempt) => { this.#emit('reconnect', attempt) })
    raw.io.on('reconnect_failed', () => {
      if (this.#state !== 'disconnected') {
        this.#state = 'disconnected'
        this.#requests.failQueued('FST_SOCKETS_CLIENT_CONNECT_FAILED')
      }
      this.#emit('reconnect_failed')
    })
    return raw
  }
}
