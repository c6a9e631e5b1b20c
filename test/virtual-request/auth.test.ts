// @fastify/jwt and @fastify/auth over sockets, side by side with HTTP: a token in the handshake, a refreshed
// one per request (authorization is replaceable), a refused one, composed strategies.
import t from 'tap'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import fastifyAuth from '@fastify/auth'
import { buildApp, connect } from '../helpers/app.js'
import { MODES, both } from '../helpers/parity.js'

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyJwt, { secret: 'a secret of the tests, long enough for HS256' })
  await app.register(fastifyAuth)
  const verifyJwt = async (request: FastifyRequest): Promise<void> => { await request.jwtVerify() }
  const verifyKey = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.headers['x-api-key'] !== 'key-1') { reply.code(401); throw new Error('bad key') }
  }
  app.get('/me', { onRequest: verifyJwt }, async (request) => ({ user: request.user }))
  app.get('/either', { preHandler: app.auth([verifyJwt, verifyKey]) }, async () => ({ in: true }))
  app.get('/both', { preHandler: app.auth([verifyJwt, verifyKey], { relation: 'and' }) }, async () => ({ in: true }))
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/jwt and @fastify/auth answer sockets as HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const ada = app.jwt.sign({ name: 'ada' })
    const grace = app.jwt.sign({ name: 'grace' })
    const handshake = { authorization: `Bearer ${ada}` }
    const socket = await connect(t, app, { extraHeaders: handshake })
    const cases: Array<[string, Record<string, string>]> = [
      ['/me', {}],
      ['/me', { authorization: `Bearer ${grace}` }],
      ['/me', { authorization: 'Bearer not.a.token' }],
      ['/either', {}],
      ['/both', {}],
      ['/both', { 'x-api-key': 'key-1' }],
      ['/both', { 'x-api-key': 'wrong' }]
    ]
    for (const [url, headers] of cases) {
      const { http, socket: jwr } = await both(app, socket, 'get', url, { headers, handshake })
      t.same(jwr, http, `${url} ${JSON.stringify(Object.keys(headers))}: ${http.statusCode}`)
    }
    const me = await both(app, socket, 'get', '/me', { handshake })
    t.match(me.socket.body, { user: { name: 'ada' } }, 'the handshake token')
    const refreshed = await both(app, socket, 'get', '/me', { headers: { authorization: `Bearer ${grace}` }, handshake })
    t.match(refreshed.socket.body, { user: { name: 'grace' } }, 'a token given per request replaces it')
    const anonymous = await connect(t, app)
    const refused = await both(app, anonymous, 'get', '/me')
    t.same([refused.socket.statusCode, refused.http.statusCode], [401, 401])
  })
}
