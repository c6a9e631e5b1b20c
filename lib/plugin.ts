import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Server } from 'socket.io'
import { resolveOptions, type FastifySocketsOptions, type ResolvedOptions } from './options.js'
import { FST_SOCKETS_ALREADY_REGISTERED, FST_SOCKETS_NOT_AT_ROOT } from './errors.js'
import { VirtualRequests } from './virtual-request/runner.js'
import { leanDispatcher } from './virtual-request/dispatch.js'
import { ackParser } from './virtual-request/ack-encoder.js'
import { offerParsedBody } from './virtual-request/json-handoff.js'
import type { VirtualIncoming } from './virtual-request/request.js'
import { socketContextOf } from './virtual-request/context.js'
import { EventRegistry } from './rooms/registry.js'
import { RoomRules } from './rooms/rules.js'
import { RoomOperations } from './rooms/operations.js'
import { UnawaitedRejections } from './common/unawaited.js'
import { Sockets } from './rooms/sockets.js'
import { memoryMembership } from './membership/memory.js'
import { Resources } from './resources/resources.js'
import { Cluster } from './cluster/cluster.js'
import { buildAllowRequest, buildConnectionHook, buildDisconnectHook } from './connection/admission.js'
import { guardSessions } from './connection/session-guard.js'
import { guardOrigins } from './connection/origin-guard.js'
import { boundQueues } from './connection/slow-consumers.js'
import { primeRecovery } from './connection/recovery.js'
import { FLUSH_GRACE_MS, closeTransports, forceCloseTransports, openTransports } from './connection/shutdown.js'
import type { EngineTransport } from './connection/engine.js'
import { serveBundle, serveGetCookie, GET_COOKIE_PATH } from './client-support/bundle-routes.js'
import { TestClients } from './client-support/connect-client.js'

// The wiring: resolves the options, builds the parts, and is the only module that decorates Fastify and
// adds hooks.

declare module 'fastify' {
  interface FastifyInstance {
    /** Rooms, broadcasts and pushes over socket.io (fastify-sockets). */
    sockets: Sockets
  }
  interface FastifyRequest {
    /** `true` only for a virtual request made over a socket; nothing an HTTP client sends makes it true. */
    readonly isSocket: boolean
  }
}

const plugin: FastifyPluginAsync<FastifySocketsOptions> = async function fastifySockets (fastify: FastifyInstance, rawOptions) {
  if (fastify.hasDecorator('sockets')) throw new FST_SOCKETS_ALREADY_REGISTERED()
  // A child context is an object made from its parent (Object.create); the root is not. Decorations made
  // in a child would miss the root's routes and its listen(), so the plugin refuses to be registered there.
  if (Object.getPrototypeOf(fastify) !== Object.prototype) throw new FST_SOCKETS_NOT_AT_ROOT()
  const opts = resolveOptions(rawOptions)
  const log = fastify.log

  // Compiling the schemas can still refuse the options: do it before anything exists that would need undoing.
  const registry = new EventRegistry(opts.registry.events, opts.registry.validate)

  // Cluster: the plugin's Redis clients start connecting now; the adapter is in place before any socket.
  const cluster = opts.cluster === undefined ? undefined : Cluster.create(opts.cluster, log)
  let io: Server | undefined
  try {
    io = new Server(fastify.server, {
      // an app that chose its own parser keeps it; JWRs then go through it like any data
      ...(opts.socketio.parser === undefined ? { parser: ackParser } : {}),
      ...opts.socketio,
      ...(cluster === undefined ? {} : { adapter: cluster.adapter() }),
      // skipMiddlewares false: onConnection (a middleware) decides again on every recovery
      ...(opts.recovery === undefined ? {} : { connectionStateRecovery: { ...opts.recovery, skipMiddlewares: false } }),
      maxHttpBufferSize: opts.maxMessageSize,
      allowRequest: buildAllowRequest(opts, log)
    })
    await wire(fastify, opts, registry, cluster, io)
  } catch (err) {
    // a registration that fails leaves nothing behind: no upgrade listener, no Redis connection
    await io?.close()
    await cluster?.close()
    throw err
  }
}

// Everything the plugin attaches to the socket.io server and to Fastify.
async function wire (fastify: FastifyInstance, opts: ResolvedOptions, registry: EventRegistry, cluster: Cluster | undefined, io: Server): Promise<void> {
  const log = fastify.log
  const rules = new RoomRules(io, { ...opts, rooms: opts.registry.rooms })
  // the origin rule first: a cross-site request is refused before anything looks at its session
  guardOrigins(io, opts, log)
  guardSessions(io, log)
  boundQueues(io, opts.maxQueuedBytes, log)
  const routing = (): typeof fastify.routing => fastify.routing
  const requests = new VirtualRequests({
    // light-my-request is loaded only by the apps that ask for it
    dispatch: opts.dispatch === 'inject' ? (await import('./virtual-request/inject.js')).injectDispatcher(routing) : leanDispatcher(routing),
    replaceableHeaders: opts.replaceableHeaders,
    cookieJar: opts.cookieJar,
    log,
    requestTimeout: opts.requestTimeout,
    maxInFlight: opts.maxInFlight
  })
  const onConnection = buildConnectionHook(opts, log)
  if (onConnection !== undefined) io.use(onConnection)
  const onDisconnect = buildDisconnectHook(opts, log)
  io.on('connection', (socket) => {
    rules.noteSocket(socket.id)
    requests.bind(socket)
    if (opts.recovery !== undefined) primeRecovery(io, socket)
    if (onDisconnect !== undefined) socket.once('disconnect', (reason) => { onDisconnect(socket, reason) })
  })

  // connectClient(): listens on 127.0.0.1:0 when the app is not listening yet (once, however many clients ask)
  let listening: Promise<unknown> | undefined
  const clients = new TestClients(async () => {
    if (!fastify.server.listening) await (listening ??= fastify.listen({ port: 0, host: '127.0.0.1' }))
    return fastify.server.address()
  })

  const membership = cluster === undefined ? memoryMembership(io) : await cluster.attach(io)
  const ops = new RoomOperations(io, membership, rules, registry, new UnawaitedRejections(log))
  // the request decorator first: if it is taken, the registration fails having decorated nothing
  fastify.decorateRequest('isSocket', {
    getter (this: FastifyRequest) { return socketContextOf(this.raw) !== undefined }
  })
  fastify.decorate('sockets', new Sockets({
    io, ops, rules, registry, resources: new Resources(ops), clients, cluster, inFlight: () => requests.inFlight
  }))

  // Socket requests log like HTTP ones; from the route on, every line of theirs carries the socket id.
  // (a callback hook: no promise per request)
  fastify.addHook('onRequest', (request, reply, done) => {
    const ctx = socketContextOf(request.raw)
    if (ctx !== undefined) {
      request.log = request.log.child({ socketId: ctx.socket.id })
      reply.log = request.log
      if ((request.raw as unknown as VirtualIncoming).hasParsedBody) offerParsedBody(request)
    }
    done()
  })

  // Client-facing routes: the browser bundle and sails.io.js' cross-origin cookie route.
  if (opts.client.path !== undefined) fastify.get(opts.client.path, serveBundle)
  if (opts.client.getCookie) fastify.get(GET_COOKIE_PATH, serveGetCookie)

  let closing: EngineTransport[] = []
  fastify.addHook('preClose', async () => {
    clients.close()
    // requests in flight finish within closeGrace, the rest are answered 503; closeTransports lets those answers out first
    await requests.close(opts.closeGrace)
    closing = await closeTransports(io, FLUSH_GRACE_MS)
  })
  fastify.addHook('onClose', async () => {
    await io.close()
    forceCloseTransports([...closing, ...openTransports(io)])
    // After socket.io: its adapter unsubscribes through these clients.
    await cluster?.close()
  })
}

/**
 * The fastify-sockets plugin: a socket.io 4 server on the Fastify server, whose sockets make virtual
 * requests that your routes answer through the whole Fastify lifecycle.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import fastifySockets from 'fastify-sockets'
 *
 * const app = Fastify()
 * await app.register(fastifySockets)
 * app.get('/hello', async (request) => ({ socket: request.isSocket }))
 * await app.listen({ port: 3000 })
 * ```
 */
export const fastifySockets = fp(plugin, { fastify: '5.x', name: 'fastify-sockets' })
