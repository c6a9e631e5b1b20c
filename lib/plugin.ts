import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Server } from 'socket.io'
import { resolveOptions, type FastifySocketsOptions, type ResolvedOptions } from './options.js'
import { VirtualRequests, socketContextOf } from './virtual-request.js'
import { Sockets } from './sockets.js'
import { EventRegistry } from './events.js'
import { memoryMembership } from './membership.js'
import { buildAllowRequest, buildConnectionHook, buildDisconnectHook } from './handshake.js'
import { serveBundle, serveGetCookie, GET_COOKIE_PATH } from './browser-client.js'
import { TestClients } from './test-client.js'
import { Cluster } from './cluster.js'
import { RoomPolicy } from './room-policy.js'
import { guardSessions } from './session-guard.js'
import { flushWrites, forceCloseTransports, openTransports } from './shutdown.js'

/** How long `fastify.close()` lets the 503s of requests in flight reach polling clients before closing. */
const CLOSE_GRACE_MS = 1000

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
  const opts = resolveOptions(rawOptions)
  const log = fastify.log

  // Compiling the schemas can still refuse the options: do it before anything exists that would need undoing.
  const registry = new EventRegistry(opts.registry)

  // Cluster: the plugin's Redis clients start connecting now; the adapter is in place before any socket.
  const cluster = opts.cluster === undefined ? undefined : Cluster.create(opts.cluster, log)
  let io: Server | undefined
  try {
    io = new Server(fastify.server, {
      ...opts.socketio,
      ...(cluster === undefined ? {} : { adapter: cluster.adapter() }),
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
  guardSessions(io, log)
  const requests = new VirtualRequests({ routing: () => fastify.routing, log, requestTimeout: opts.requestTimeout, maxInFlight: opts.maxInFlight })
  const onConnection = buildConnectionHook(opts, log)
  if (onConnection !== undefined) io.use(onConnection)
  const onDisconnect = buildDisconnectHook(opts, log)
  io.on('connection', (socket) => {
    requests.bind(socket)
    if (onDisconnect !== undefined) socket.once('disconnect', (reason) => { onDisconnect(socket, reason) })
  })

  // connectClient(): listens on 127.0.0.1:0 when the app is not listening yet (once, however many clients ask)
  let listening: Promise<unknown> | undefined
  const testClients = new TestClients(async () => {
    if (!fastify.server.listening) await (listening ??= fastify.listen({ port: 0, host: '127.0.0.1' }))
    return fastify.server.address()
  })

  const membership = cluster === undefined ? memoryMembership(io) : await cluster.attach(io)
  fastify.decorate('sockets', new Sockets(io, membership, registry, {
    clients: testClients, cluster, policy: new RoomPolicy(io, opts), inFlight: () => requests.inFlight
  }))
  fastify.decorateRequest('isSocket', {
    getter (this: FastifyRequest) { return socketContextOf(this.raw) !== undefined }
  })

  // Socket requests log like HTTP ones; from the route on, every line of theirs carries the socket id.
  // (a callback hook: no promise per request)
  fastify.addHook('onRequest', (request, reply, done) => {
    const ctx = socketContextOf(request.raw)
    if (ctx !== undefined) {
      request.log = request.log.child({ socketId: ctx.socket.id })
      reply.log = request.log
    }
    done()
  })

  // Client-facing routes: the browser bundle and sails.io.js' cross-origin cookie route.
  if (opts.client.path !== undefined) fastify.get(opts.client.path, serveBundle)
  if (opts.client.getCookie) fastify.get(GET_COOKIE_PATH, serveGetCookie)

  let closingTransports: ReturnType<typeof openTransports> = []
  fastify.addHook('preClose', async () => {
    testClients.close()
    requests.close()
    closingTransports = openTransports(io)
    // The 503s are queued on the connections: let them out (a polling client reads them on its next poll,
    // a silent one is not waited for past the grace) before the transports close.
    await flushWrites(io, CLOSE_GRACE_MS)
    // Close the transports instead of sending socket.io DISCONNECT packets: clients see 'transport close'
    // and reconnect to the next server (restart, deploy), as with socket.io's own close(). A DISCONNECT
    // ('io server disconnect') is what sockets.disconnect() sends, and clients do not undo it.
    // `discard`: a polling transport with no pending poll closes now instead of arming a 30 s timer
    // that would keep the process alive after close.
    for (const socket of io.of('/').sockets.values()) socket.conn.close(true)
  })
  fastify.addHook('onClose', async () => {
    await io.close()
    forceCloseTransports([...closingTransports, ...openTransports(io)])
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
