import t from 'tap'
import type { FastifyInstance } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES, comparableHeaders, expectedOf } from '../helpers/parity.js'

// One app whose routes cover every reply shape; each is called over HTTP and over a socket and compared.
function routes (app: FastifyInstance): void {
  app.get('/json', async () => ({ hello: 'world', n: 1 }))
  app.post('/created', async (_request, reply) => {
    reply.code(201).header('x-created-id', '42')
    return { id: 42 }
  })
  app.delete('/nothing', async (_request, reply) => reply.code(204).send())
  app.post('/validated', {
    schema: { body: { type: 'object', required: ['age'], properties: { age: { type: 'integer' } } } }
  }, async (request) => request.body)
  app.get('/boom', async () => { throw new Error('kaboom') })
  app.get('/text', async (_request, reply) => reply.type('text/plain').send('just text'))
  app.get('/filtered', {
    schema: { response: { 200: { type: 'object', properties: { keep: { type: 'string' } } } } }
  }, async () => ({ keep: 'yes', secret: 'must not leave' }))
}

const cases: Array<{ name: string, method: string, url: string, data?: unknown }> = [
  { name: '200 JSON', method: 'get', url: '/json' },
  { name: '201 with a header', method: 'post', url: '/created', data: {} },
  { name: '204', method: 'delete', url: '/nothing' },
  { name: '400 schema error', method: 'post', url: '/validated', data: { age: 'old' } },
  { name: '404', method: 'get', url: '/no/such/route' },
  { name: '500 thrown error', method: 'get', url: '/boom' },
  { name: 'text reply', method: 'get', url: '/text' },
  { name: 'response schema filters fields', method: 'get', url: '/filtered' }
]

for (const dispatch of MODES) {
  t.test(`${dispatch}: the same route answers over HTTP and over a socket with identical status, headers and body`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app)
    for (const c of cases) {
      const http = await app.inject({
        method: c.method.toUpperCase() as 'GET',
        url: c.url,
        ...(c.data !== undefined ? { payload: c.data as object } : {})
      })
      const jwr = await request(socket, c.method, c.url, c.data)
      t.equal(jwr.statusCode, http.statusCode, `${c.name}: status`)
      t.same(jwr.body, expectedOf(http), `${c.name}: body`)
      t.same(comparableHeaders(jwr.headers), comparableHeaders(http.headers), `${c.name}: headers`)
    }
    const created = await request(socket, 'post', '/created', {})
    t.equal(created.headers['x-created-id'], '42', 'headers set by the route reach the JWR')
    const filtered = await request(socket, 'get', '/filtered')
    t.same(filtered.body, { keep: 'yes' }, 'the response schema removed the extra field')
    const boom = await request(socket, 'get', '/boom')
    t.match(boom.body, { statusCode: 500, message: 'kaboom' }, 'the default error handler shaped the 500')
    const nothing = await request(socket, 'delete', '/nothing')
    t.notOk('body' in nothing, 'an answer without a body has no body in the JWR (sails.io.js reads undefined)')
  })
}

t.test('request.isSocket is true over the socket, false over HTTP', async (t) => {
  const app = await buildApp(t, {}, (app) => { app.get('/who', async (request) => ({ isSocket: request.isSocket })) })
  const socket = await connect(t, app)
  t.same((await request(socket, 'get', '/who')).body, { isSocket: true })
  t.same((await app.inject('/who')).json(), { isSocket: false }, 'inject')
  const res = await fetch(`${urlOf(app)}/who`)
  t.same(await res.json(), { isSocket: false }, 'real HTTP')
})

t.test('a hook can answer for the route, and the custom error handler shapes socket errors', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization !== 'Bearer good') return reply.code(401).send({ error: 'who are you' })
    })
    app.setErrorHandler(async (error, _request, reply) => reply.code(418).send({ custom: (error as Error).message }))
    app.get('/private', async () => ({ secret: 1 }))
    app.get('/teapot', async () => { throw new Error('short and stout') })
  })
  const socket = await connect(t, app)
  t.same(await request(socket, 'get', '/private'), { statusCode: 401, body: { error: 'who are you' }, headers: (await request(socket, 'get', '/private')).headers })
  const ok = await request(socket, 'get', '/private', undefined, { authorization: 'Bearer good' })
  t.same(ok.body, { secret: 1 }, 'per-request authorization header reaches the hook')
  const teapot = await request(socket, 'get', '/teapot', undefined, { authorization: 'Bearer good' })
  t.same([teapot.statusCode, teapot.body], [418, { custom: 'short and stout' }])
})

t.test('the 404 handler answers unknown routes', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ lost: request.url, socket: request.isSocket }))
  })
  const socket = await connect(t, app)
  const jwr = await request(socket, 'get', '/nowhere?x=1')
  t.same([jwr.statusCode, jwr.body], [404, { lost: '/nowhere?x=1', socket: true }])
})

t.test('GET and HEAD data becomes query parameters merged with the url; other verbs get a JSON body', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.head('/q', async (_request, reply) => reply.header('x-head', 'yes').send())
    app.get('/q', async (request) => ({ query: request.query, body: request.body ?? null }))
    for (const method of ['post', 'put', 'patch', 'delete', 'options'] as const) {
      app[method]('/b', async (request) => ({ method: request.method, body: request.body ?? null, query: request.query }))
    }
  })
  const socket = await connect(t, app)
  const get = await request(socket, 'get', '/q?a=1', { name: 'ann', tags: ['x', 'y'], where: { age: 3 }, skip: undefined })
  t.same(get.body, { query: { a: '1', name: 'ann', tags: ['x', 'y'], where: '{"age":3}' }, body: null })
  const head = await request(socket, 'head', '/q', { a: 1 })
  t.same([head.statusCode, head.headers['x-head'], head.body], [200, 'yes', undefined], 'HEAD answers headers and no body')
  for (const method of ['post', 'put', 'patch', 'delete', 'options']) {
    const jwr = await request(socket, method, '/b?z=9', { a: [1, 2], nested: { ok: true } })
    t.same(jwr.body, { method: method.toUpperCase(), body: { a: [1, 2], nested: { ok: true } }, query: { z: '9' } }, method)
  }
  const noData = await request(socket, 'post', '/b')
  t.same(noData.body, { method: 'POST', body: null, query: {} }, 'no data, no body')
})

t.test('cookies: @fastify/cookie reads the handshake cookie; set-cookie never reaches the ack', async (t) => {
  const app = await buildApp(t, {}, async (app) => {
    await app.register(fastifyCookie)
    app.get('/cookie', async (request, reply) => {
      reply.setCookie('session', 'rotated', { path: '/' })
      return { cookies: request.cookies }
    })
  })
  const socket = await connect(t, app, { extraHeaders: { cookie: 'session=abc; theme=dark' } })
  const jwr = await request(socket, 'get', '/cookie', undefined, { cookie: 'session=forged' })
  t.same(jwr.body, { cookies: { session: 'abc', theme: 'dark' } }, 'handshake cookie wins over a per-request one')
  t.equal(jwr.headers['set-cookie'], undefined, 'no set-cookie in the JWR')
  const http = await app.inject({ url: '/cookie', headers: { cookie: 'session=abc' } })
  t.ok(http.headers['set-cookie'], 'over HTTP the cookie is set as usual')

  const bare = await connect(t, app)
  const own = await request(bare, 'get', '/cookie', undefined, { cookie: 'session=mine' })
  t.same(own.body, { cookies: { session: 'mine' } }, 'without a handshake cookie, a per-request cookie applies (as in Sails)')
})
