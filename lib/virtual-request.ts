import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import type { Socket } from 'socket.io'
import { kSocketContext, kSocketState } from './symbols.js'
import { dispatch, VirtualConnection, type Abortable, type DispatchOutput, type Routing } from './dispatch.js'
import { VERBS, type Verb, parseEnvelope, baseHeaders, checkSdkVersion, type RequestParts } from './packet.js'
import {
  FST_SOCKETS_BAD_REQUEST, FST_SOCKETS_SDK_VERSION, FST_SOCKETS_REQUEST_TIMEOUT,
  FST_SOCKETS_SERVER_CLOSING, FST_SOCKETS_DISPATCH_FAILED, FST_SOCKETS_TOO_MANY_REQUESTS
} from './errors.js'

/** The JSON WebSocket Response a socket receives as the ack of a virtual request (sails.io.js shape). */
export interface JWR<Body = unknown> {
  body: Body
  statusCode: number
  headers: Record<string, string | string[]>
}

type Ack = (jwr: JWR) => void

/**
 * Per-connection state. It is also what a virtual request carries on its raw request under
 * `kSocketContext`, the channel `request.isSocket` reads and no HTTP input can reach.
 */
export interface SocketContext {
  readonly socket: Socket
  readonly base: Record<string, string>
  readonly hasCookie: boolean
  readonly sdkProblem: string | undefined
  readonly pending: Set<Pending>
  connected: boolean
  /** What its virtual requests see as `request.socket`; made on the first request. */
  connection: VirtualConnection | undefined
  /** Packets dropped without an ack so far; their log lines thin out as it grows (see #refuse). */
  dropped: number
}

interface Pending {
  readonly ctx: SocketContext
  readonly ack: Ack | undefined
  readonly method: string
  readonly url: string
  timer: NodeJS.Timeout | undefined
  settled: boolean
  request: Abortable | undefined
}

export interface VirtualRequestDeps {
  routing: () => Routing
  log: FastifyBaseLogger
  requestTimeout: number
  /** Requests one socket may have in flight; past it, 429 at once. */
  maxInFlight: number
}

interface CodedError extends Error { code: string, statusCode?: number }

/** Error body in the shape Fastify's default error handler sends over HTTP. */
export function errorJwr (err: CodedError): JWR {
  const statusCode = err.statusCode ?? 500
  return {
    body: { statusCode, code: err.code, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message },
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' }
  }
}

// set-cookie never reaches the socket (as in Sails); the others describe the HTTP connection, not the answer.
const HIDDEN_RESPONSE_HEADERS = new Set(['set-cookie', 'connection', 'keep-alive', 'transfer-encoding'])

function toJwr (res: DispatchOutput): JWR {
  const headers: Record<string, string | string[]> = {}
  for (const name in res.headers) {
    if (HIDDEN_RESPONSE_HEADERS.has(name)) continue
    const value = res.headers[name]
    if (typeof value === 'string' || Array.isArray(value)) headers[name] = value as string | string[]
    else if (value !== undefined) headers[name] = String(value)
  }
  let body: unknown = res.payload
  const type = headers['content-type']
  if (typeof type === 'string' && type.includes('json') && res.payload.length > 0) {
    try { body = JSON.parse(res.payload) } catch { /* not JSON after all: keep the text */ }
  }
  return { body, statusCode: res.statusCode, headers }
}

/**
 * Runs socket packets through the Fastify request lifecycle and answers with JWRs.
 * One instance per plugin registration.
 */
export class VirtualRequests {
  readonly #deps: VirtualRequestDeps
  readonly #contexts = new Set<SocketContext>()
  #closing = false

  constructor (deps: VirtualRequestDeps) {
    this.#deps = deps
  }

  /** Number of virtual requests still waiting for an answer, all sockets together. */
  get inFlight (): number {
    let n = 0
    for (const ctx of this.#contexts) n += ctx.pending.size
    return n
  }

  /** Binds the seven verb events of a newly connected socket. */
  bind (socket: Socket): SocketContext {
    const handshake = socket.handshake
    const version = handshake.query.__sails_io_sdk_version ?? handshake.headers.__sails_io_sdk_version
    const ctx: SocketContext = {
      socket,
      base: baseHeaders(handshake.headers),
      hasCookie: typeof handshake.headers.cookie === 'string' && handshake.headers.cookie.length > 0,
      sdkProblem: checkSdkVersion(version),
      pending: new Set(),
      connected: true,
      connection: undefined,
      dropped: 0
    }
    this.#contexts.add(ctx)
    ;(socket as unknown as Record<symbol, SocketContext>)[kSocketState] = ctx
    for (const [verb, listener] of this.#verbListeners) socket.on(verb, listener)
    socket.on('disconnect', this.#disconnectListener)
    return ctx
  }

  // Listeners shared by every socket (socket.io calls them with the socket as `this`; its context rides
  // under kSocketState), so a connection costs no closures: idle memory per socket is in the budget.
  readonly #verbListeners = VERBS.map((verb) => {
    const requests = this
    return [verb, function onVerb (this: Socket, ...args: unknown[]): void {
      requests.#onPacket(contextOfSocket(this), verb, args)
    }] as const
  })

  readonly #disconnectListener = ((requests: VirtualRequests) => function onDisconnect (this: Socket): void {
    requests.#onDisconnect(contextOfSocket(this))
  })(this)

  /** Stops taking requests; answers every pending one with 503 so no client waits on a closing server. */
  close (): void {
    this.#closing = true
    for (const ctx of this.#contexts) {
      for (const pending of ctx.pending) {
        this.#answer(pending, errorJwr(new FST_SOCKETS_SERVER_CLOSING()))
        this.#abort(pending)
      }
    }
  }

  #onPacket (ctx: SocketContext, verb: Verb, args: unknown[]): void {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() as Ack : undefined
    try {
      // Nobody would read the answer: a request without an ack is malformed (sails.io.js always sends one),
      // dropped with a log line rather than run for no one.
      if (ack === undefined) return this.#refuse(ctx, ack, new FST_SOCKETS_BAD_REQUEST('no ack: a socket request needs an acknowledgement callback'))
      if (this.#closing) return this.#refuse(ctx, ack, new FST_SOCKETS_SERVER_CLOSING())
      if (ctx.pending.size >= this.#deps.maxInFlight) return this.#refuse(ctx, ack, new FST_SOCKETS_TOO_MANY_REQUESTS(this.#deps.maxInFlight))
      if (args.length !== 1) {
        return this.#refuse(ctx, ack, new FST_SOCKETS_BAD_REQUEST(`expected one request object and an ack, got ${args.length} arguments`))
      }
      if (ctx.sdkProblem !== undefined) return this.#refuse(ctx, ack, new FST_SOCKETS_SDK_VERSION(ctx.sdkProblem))
      const parsed = parseEnvelope(verb, args[0], ctx.base, ctx.hasCookie)
      if (!parsed.ok) return this.#refuse(ctx, ack, new FST_SOCKETS_BAD_REQUEST(parsed.reason))
      this.#run(ctx, parsed.parts, ack)
    } catch (err) {
      // Nothing above should throw; if it does, the client still gets its one answer and the process lives.
      this.#deps.log.error({ err, socketId: ctx.socket.id }, 'fastify-sockets: socket request failed')
      this.#refuse(ctx, ack, new FST_SOCKETS_DISPATCH_FAILED((err as Error)?.message ?? String(err)))
    }
  }

  #refuse (ctx: SocketContext, ack: Ack | undefined, err: CodedError): void {
    if (ack !== undefined) {
      ack(errorJwr(err))
      return
    }
    // One socket sending garbage must not flood the log: the first 10 drops are logged, then only
    // the 16th, 32nd, 64th, ... (with the running count), so a flood of N costs about log2(N) lines.
    const n = ++ctx.dropped
    if (n <= 10 || (n & (n - 1)) === 0) {
      this.#deps.log.warn({ socketId: ctx.socket.id, code: err.code, dropped: n }, `fastify-sockets: socket request dropped: ${err.message}`)
    }
  }

  #run (ctx: SocketContext, parts: RequestParts, ack: Ack): void {
    const pending: Pending = { ctx, ack, method: parts.method, url: parts.url, timer: undefined, settled: false, request: undefined }
    ctx.pending.add(pending)
    pending.timer = setTimeout(this.#onTimeout, this.#deps.requestTimeout, pending)
    const handshake = ctx.socket.handshake
    ctx.connection ??= new VirtualConnection(handshake.address, handshake.secure)
    try {
      pending.request = dispatch(this.#deps.routing(), ctx, ctx.connection, parts, this.#onDispatched, pending)
    } catch (err) {
      // Settle here, so the deadline cannot answer the same request a second time.
      this.#deps.log.error({ err, socketId: ctx.socket.id }, 'fastify-sockets: dispatch threw')
      this.#answer(pending, errorJwr(new FST_SOCKETS_DISPATCH_FAILED((err as Error)?.message ?? String(err))))
    }
  }

  // One function for every request (the pending request rides as the token), not a closure per packet.
  readonly #onDispatched = (pending: Pending, err: Error | undefined, res: DispatchOutput | undefined): void => {
    if (pending.settled) return
    if (err !== undefined || res === undefined) {
      this.#deps.log.error({ err, socketId: pending.ctx.socket.id }, 'fastify-sockets: dispatch failed')
      return this.#answer(pending, errorJwr(new FST_SOCKETS_DISPATCH_FAILED(err?.message ?? 'no response')))
    }
    this.#answer(pending, toJwr(res))
  }

  // One function for every request's deadline, not a closure per packet.
  readonly #onTimeout = (pending: Pending): void => { this.#timeout(pending) }

  #timeout (pending: Pending): void {
    if (pending.settled) return
    // the path only: a query string may carry a token
    this.#deps.log.warn({ socketId: pending.ctx.socket.id, method: pending.method, path: pending.url.split('?', 1)[0] },
      `fastify-sockets: socket request timed out after ${this.#deps.requestTimeout} ms`)
    this.#answer(pending, errorJwr(new FST_SOCKETS_REQUEST_TIMEOUT(this.#deps.requestTimeout)))
    // the client has its answer; the route learns it is no longer awaited (request.signal, onRequestAbort),
    // so maxInFlight bounds the work a socket causes, not only its unanswered requests
    this.#abort(pending)
  }

  #answer (pending: Pending, jwr: JWR): void {
    if (pending.settled) return
    pending.settled = true
    clearTimeout(pending.timer)
    pending.ctx.pending.delete(pending)
    // A socket that left gets no ack: there is nobody to read it.
    if (pending.ack !== undefined && pending.ctx.connected) pending.ack(jwr)
  }

  /** Tells the route its client no longer waits: Fastify aborts request.signal and runs onRequestAbort hooks. */
  #abort (pending: Pending): void {
    try {
      pending.request?.abort()
    } catch (err) {
      // a request.signal or onRequestAbort listener threw: the route's problem, not the caller's
      this.#deps.log.error({ err, socketId: pending.ctx.socket.id }, 'fastify-sockets: aborting a request threw')
    }
  }

  #onDisconnect (ctx: SocketContext): void {
    ctx.connected = false
    this.#contexts.delete(ctx)
    for (const pending of ctx.pending) {
      pending.settled = true
      clearTimeout(pending.timer)
      this.#abort(pending)
    }
    ctx.pending.clear()
  }
}

function contextOfSocket (socket: Socket): SocketContext {
  return (socket as unknown as Record<symbol, SocketContext>)[kSocketState] as SocketContext
}

/** The socket context of a raw request, if it is a virtual request. */
export function socketContextOf (raw: IncomingMessage): SocketContext | undefined {
  return (raw as unknown as Record<symbol, SocketContext | undefined>)[kSocketContext]
}
