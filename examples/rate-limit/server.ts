// @fastify/rate-limit over sockets: `node --conditions=fastify-sockets-source --import tsx examples/rate-limit/server.ts`
// (PORT=0 picks a free port; the condition resolves `fastify-sockets` to this repository's lib/).
//
// Socket requests run through Fastify's hooks like HTTP ones, so the limiter applies to them as it is.
// `request.ip` of a socket request is the socket's own remote address (through trustProxy, the address
// the handshake came from), never 127.0.0.1 for everyone, and a client cannot change it per request:
// x-forwarded-* request headers are dropped. So the limiter's default key gives each client address its
// own bucket, shared by its HTTP requests and all its sockets. `perSocket: true` keys socket requests by
// socket id instead; a client can open more sockets to get more buckets, so keep a per-address limit too
// if that matters (a second registration with its own `nameSpace`, or `allowRequest` capping connections).
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import rateLimit from '@fastify/rate-limit'
import fastifySockets from 'fastify-sockets'

export async function buildRateLimited (options: { max?: number, perSocket?: boolean, allowList?: string[] } = {}) {
  const app = Fastify({ logger: process.env.LOG === '1' })
  await app.register(fastifySockets)
  await app.register(rateLimit, {
    max: options.max ?? 5,
    timeWindow: '1 minute',
    ...(options.allowList === undefined ? {} : { allowList: options.allowList }),
    ...(options.perSocket === true ? { keyGenerator: (request) => app.sockets.getId(request) ?? request.ip } : {})
  })
  app.get('/quote', async (request) => ({ quote: 'Simplicity is prerequisite for reliability.', ip: request.ip }))
  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await buildRateLimited({ perSocket: process.env.PER_SOCKET === '1' })
  const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
  console.log(`rate-limit example listening at ${address}`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
}
