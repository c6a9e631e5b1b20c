// @fastify/cors and @fastify/helmet over sockets, side by side with HTTP: the same response headers for the
// socket's origin, a preflight answered over the `options` verb, helmet's headers set through reply.raw.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import fastifyCors from '@fastify/cors'
import fastifyHelmet from '@fastify/helmet'
import { buildApp, connect } from '../helpers/app.js'
import { MODES, both } from '../helpers/parity.js'

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, { global: true })
  await app.register(fastifyCors, { origin: ['http://good.example'], credentials: true, exposedHeaders: ['x-total'] })
  app.get('/data', async (_request, reply) => reply.header('x-total', '3').send({ rows: 3 }))
  app.post('/data', async (request) => ({ got: request.body }))
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/cors and @fastify/helmet give sockets the headers HTTP gets`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    for (const origin of ['http://good.example', 'http://other.example']) {
      const handshake = { origin }
      const socket = await connect(t, app, { extraHeaders: handshake })
      const get = await both(app, socket, 'get', '/data', { handshake })
      t.same(get.socket, get.http, `GET from ${origin}`)
      const post = await both(app, socket, 'post', '/data', { data: { a: 1 }, handshake })
      t.same(post.socket, post.http, `POST from ${origin}`)
      const preflight = await both(app, socket, 'options', '/data', {
        handshake, headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
      })
      t.same(preflight.socket, preflight.http, `preflight from ${origin}: ${preflight.http.statusCode}`)
    }
    const good = await connect(t, app, { extraHeaders: { origin: 'http://good.example' } })
    const { socket } = await both(app, good, 'get', '/data', { handshake: { origin: 'http://good.example' } })
    t.equal(socket.headers['access-control-allow-origin'], 'http://good.example')
    t.equal(socket.headers['x-content-type-options'], 'nosniff', 'helmet ran')
    t.ok(typeof socket.headers['content-security-policy'] === 'string')
  })
}
