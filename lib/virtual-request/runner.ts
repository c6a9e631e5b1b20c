import type { FastifyBaseLogger } from 'fastify'
import type { Socket } from 'socket.io'
import { ThinnedCount } from '../common/log.js'
import { compactListenerTable } from '../common/listener-table.js'
import { messageOf } from '../common/values.js'
import {
  FST_SOCKETS_BAD_REQUEST, FST_SOCKETS_SDK_VERSION, FST_SOCKETS_REQUEST_TIMEOUT,
  FST_SOCKETS_SERVER_CLOSING, FST_SOCKETS_DISPATCH_FAILED, FST_SOCKETS_TOO_MANY_REQUESTS
} from '../errors.js'
import type { DispatchOutput, Dispatcher } from './dispatch.js'
import { VirtualConnection } from './request.js'
import { VERBS, type Verb, parseEnvelope, checkSdkVersion, type RequestParts } from './envelope.js'
import { baseHeaders } from './headers.js'
import { errorJwr, jwrOfResponse, type CodedError, type JWR } from './jwr.js'
import { contextOfSocket, setContextOf, type PendingRequest, type SocketContext } from './context.js'
import { addJarCookies, keepCookies } from './cookies.js'
import { Deadlines } from './deadlines.js'
import { addPending, removePending, takePending } from './pending-list.js'
import type { JarLimits } from './cookie-jar.js'

type Ack = (jwr: JWR) => void

export interface VirtualRequestDeps {
  /** Runs one request through Fastify: the lean pair, or light-my-request (`dispatch: 'inject'`). */
  dispatch: Dispatcher
  /** Handshake headers a request's own headers may replace. */
  replaceableHeaders: ReadonlySet<string>
  /** The bounds of each socket's cookie jar; undefined: sockets keep no cookies. */
  cookieJar: JarLimits | undefined
  log: FastifyBaseLogger
  requestTimeout: number
  /** Requests one socket may have in flight; past it, 429 at once. */
  maxInFlight: number
}

/**
 * Runs socket packets through the Fastify request lifecycle and answers with JWRs.
 * One instance per plugin registration.
 */
export class VirtualRequests {
  readonly #deps: VirtualRequestDeps
  readonly #contexts = new Set<SocketContext>()
  #inFlight = 0
  #closing = false
  // Set while close() waits for the requests in flight: called when the last one is answered.
  #idle: (() => void) | undefined

  readonly #deadlines: Deadlines<PendingRequest>

  constructor (deps: VirtualRequestDeps) {
    this.#deps = deps
    this.#deadlines = new Deadlines(deps.requestTimeout, (pending) => { this.#timeout(pending) })
  }

  /** Number of virtual requests still waiting for an answer, all sockets together. */
  get inFlight (): number {
    return this.#inFlight
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
      pending: undefined,
      inFlight: 0,
      connected: true,
      connection: undefined,
      dropped: undefined,
      jar: undefined
    }
    this.#contexts.add(ctx)
    setContextOf(socket, ctx)
    for (const [verb, listener] of this.#verbListeners) socket.on(verb, listener)
    socket.on('disconnect', this.#disconnectListener)
    compactListenerTable(socket)
    return ctx
  }

  // Listeners shared by every socket (socket.io calls them with the socket as `this`; its context rides
  // on the socket), so a connection costs no closures: idle memory per socket is in the budget.
  readonly #verbListeners = VERBS.map((verb) => {
    const requests = this
    return [verb, function onVerb (this: Socket, ...args: unknown[]): void {
      requests.#onPacket(contextOfSocket(this), verb, args)
    }] as const
  })

  readonly #disconnectListener = (() => {
    const requests = this
    return function onDisconnect (this: Socket): void { requests.#onDisconnect(contextOfSocket(this)) }
  })()

  /**
   * Stops taking requests (new ones get 503 at once) and lets those in flight finish for up to `graceMs`,
   * as Fastify lets HTTP requests in flight finish: what committed is answered with its real result. The
   * ones still running then get 503 and an aborted `request.signal`.
   */
  async close (graceMs: number): Promise<void> {
    this.#closing = true
    if (this.#inFlight > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs)
        this.#idle = () => { clearTimeout(timer); resolve() }
      })
      this.#idle = undefined
    }
    for (const ctx of this.#contexts) {
      let pending = ctx.pending
      while (pending !== undefined) {
        const next = pending.next // answering takes it off the list
        this.#answer(pending, errorJwr(new FST_SOCKETS_SERVER_CLOSING()))
        this.#abort(pending)
        pending = next
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
      if (ctx.inFlight >= this.#deps.maxInFlight) return this.#refuse(ctx, ack, new FST_SOCKETS_TOO_MANY_REQUESTS(this.#deps.maxInFlight))
      if (args.length !== 1) {
        return this.#refuse(ctx, ack, new FST_SOCKETS_BAD_REQUEST(`expected one request object and an ack, got ${args.length} arguments`))
      }
      if (ctx.sdkProblem !== undefined) return this.#refuse(ctx, ack, new FST_SOCKETS_SDK_VERSION(ctx.sdkProblem))
      const parsed = parseEnvelope(verb, args[0], ctx.base, ctx.hasCookie, this.#deps.replaceableHeaders)
      if (!parsed.ok) return this.#refuse(ctx, ack, new FST_SOCKETS_BAD_REQUEST(parsed.reason))
      this.#run(ctx, parsed.parts, ack)
    } catch (err) {
      // Nothing above should throw; if it does, the client still gets its one answer and the process lives.
      this.#deps.log.error({ err, socketId: ctx.socket.id }, 'fastify-sockets: socket request failed')
      this.#refuse(ctx, ack, new FST_SOCKETS_DISPATCH_FAILED(messageOf(err)))
    }
  }

  #refuse (ctx: SocketContext, ack: Ack | undefined, err: CodedError): void {
    if (ack !== undefined) {
      ack(errorJwr(err))
      return
    }
    // One socket sending garbage must not flood the log.
    const n = (ctx.dropped ??= new ThinnedCount()).next()
    if (n !== undefined) {
      this.#deps.log.warn({ socketId: ctx.socket.id, code: err.code, dropped: n }, `fastify-sockets: socket request dropped: ${err.message}`)
    }
  }

  #run (ctx: SocketContext, parts: RequestParts, ack: Ack): void {
    const pending: PendingRequest = { ctx, ack, method: parts.method, url: parts.url, deadline: 0, older: undefined, newer: undefined, settled: false, request: undefined, prev: undefined, next: undefined }
    addPending(pending)
    this.#inFlight++
    this.#deadlines.add(pending)
    const handshake = ctx.socket.handshake
    ctx.connection ??= new VirtualConnection(handshake.address, handshake.secure)
    try {
      addJarCookies(ctx, parts)
      pending.request = this.#deps.dispatch(ctx, ctx.connection, parts, this.#onDispatched, pending)
    } catch (err) {
      // Settle here, so the deadline cannot answer the same request a second time.
      this.#deps.log.error({ err, socketId: ctx.socket.id }, 'fastify-sockets: dispatch threw')
      this.#answer(pending, errorJwr(new FST_SOCKETS_DISPATCH_FAILED(messageOf(err))))
    }
  }

  // One function for every request (the pending request rides as the token), not a closure per packet.
  readonly #onDispatched = (pending: PendingRequest, err: Error | undefined, res: DispatchOutput | undefined): void => {
    if (pending.settled) return
    if (err !== undefined || res === undefined) {
      this.#deps.log.error({ err, socketId: pending.ctx.socket.id }, 'fastify-sockets: dispatch failed')
      return this.#answer(pending, errorJwr(new FST_SOCKETS_DISPATCH_FAILED(err?.message ?? 'no response')))
    }
    const setCookie = res.headers['set-cookie']
    if (setCookie !== undefined && this.#deps.cookieJar !== undefined && pending.ctx.connected) {
      try {
        keepCookies(pending.ctx, pending.url, setCookie, this.#deps.cookieJar, this.#deps.log)
      } catch (err) {
        // the answer still goes out; only the jar missed it
        this.#deps.log.error({ err, socketId: pending.ctx.socket.id }, 'fastify-sockets: keeping cookies failed')
      }
    }
    this.#answer(pending, jwrOfResponse(res))
  }

  #timeout (pending: PendingRequest): void {
    if (pending.settled) return
    // the path only: a query string may carry a token
    this.#deps.log.warn({ socketId: pending.ctx.socket.id, method: pending.method, path: pending.url.split('?', 1)[0] },
      `fastify-sockets: socket request timed out after ${this.#deps.requestTimeout} ms`)
    this.#answer(pending, errorJwr(new FST_SOCKETS_REQUEST_TIMEOUT(this.#deps.requestTimeout)))
    // the client has its answer; the route learns it is no longer awaited (request.signal, onRequestAbort),
    // so maxInFlight bounds the work a socket causes, not only its unanswered requests
    this.#abort(pending)
  }

  #answer (pending: PendingRequest, jwr: JWR): void {
    if (pending.settled) return
    pending.settled = true
    this.#deadlines.delete(pending)
    if (removePending(pending)) this.#inFlight--
    // A socket that left gets no ack: there is nobody to read it.
    if (pending.ack !== undefined && pending.ctx.connected) pending.ack(jwr)
    if (this.#inFlight === 0) this.#idle?.()
  }

  /** Tells the route its client no longer waits: Fastify aborts request.signal and runs onRequestAbort hooks. */
  #abort (pending: PendingRequest): void {
    try {
      pending.request?.abort()
    } catch (err) {
      // a request.signal or onRequestAbort listener threw: the route's problem, not the caller's
      this.#deps.log.error({ err, socketId: pending.ctx.socket.id }, 'fastify-sockets: aborting a request threw')
    }
  }

  #onDisconnect (ctx: SocketContext): void {
    ctx.connected = false
    ctx.jar = undefined
    this.#contexts.delete(ctx)
    const pendings = takePending(ctx)
    this.#inFlight -= pendings.length
    for (const pending of pendings) {
      pending.settled = true
      this.#deadlines.delete(pending)
      this.#abort(pending)
    }
    if (this.#inFlight === 0) this.#idle?.()
  }
}
