import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Server } from 'socket.io'
import { resolveOptions, type FastifySocketsOptions } from './options.js'
import { VirtualRequests, socketContextOf } from './virtual-request.js'
import { Sockets } from './sockets.js'
import { EventRegistry } from './events.js'
import { memoryMembership } from './membership.js'
import { buildAllowRequest } from './handshake.js'

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

  const io = new Server(fastify.server, {
    ...opts.socketio,
    allowRequest: buildAllowRequest(opts, log)
  })
  const requests = new VirtualRequests({ routing: () => fastify.routing, log, requestTimeout: opts.requestTimeout })
  io.on('connection', (socket) => { requests.bind(socket) })

  fastify.decorate('sockets', new Sockets(io, memoryMembership(io), new EventRegistry()))
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

  fastify.addHook('preClose', async () => {
    requests.close()
    io.local.disconnectSockets(true)
  })
  fastify.addHook('onClose', async () => {
    await io.close()
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
