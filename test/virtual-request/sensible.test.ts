// @fastify/sensible over sockets, side by side with HTTP: its reply helpers, http errors, assertions and
// `to()` answer the same statuses and bodies.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import fastifySensible from '@fastify/sensible'
import { buildApp, connect } from '../helpers/app.js'
import { MODES, both } from '../helpers/parity.js'

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifySensible)
  app.get('/not-found', async (_request, reply) => reply.notFound('no such thing'))
  app.get('/teapot', async () => { throw app.httpErrors.imateapot() })
  app.get('/assert', async (request) => { app.assert((request.query as { ok?: string }).ok === '1', 400, 'ok must be 1'); return { ok: true } })
  app.get('/to', async () => {
    const [err, value] = await app.to(Promise.reject(new Error('nope')))
    return { err: (err as Error).message, value: value ?? null }
  })
  app.get('/vary', async (_request, reply) => { reply.vary('accept-language'); return { varied: true } })
  app.get('/cache', async (_request, reply) => { reply.cacheControl('public').cacheControl('max-age', 60); return { cached: true } })
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/sensible answers sockets as HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app)
    for (const url of ['/not-found', '/teapot', '/assert?ok=0', '/assert?ok=1', '/to', '/vary', '/cache']) {
      const { http, socket: jwr } = await both(app, socket, 'get', url)
      t.same(jwr, http, `${url}: ${http.statusCode}`)
    }
  })
}
