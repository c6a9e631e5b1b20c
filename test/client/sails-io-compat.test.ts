// The unmodified sails.io.js 1.2.1 Node SDK (socket.io-client 2.5, Engine.IO 3) against the plugin, as a
// Sails team runs it: io.socket auto-connecting, io.sails.connect() manual sockets, (body, jwr) callbacks.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { buildApp, urlOf, startWho } from '../helpers/app.js'
import { sailsIo, manual, call, nextSailsEvent } from '../helpers/sails-io.js'

async function routes (app: FastifyInstance): Promise<void> {
  app.get('/user', async (request, reply) => {
    reply.header('x-custom', 'yes')
    reply.header('set-cookie', 'sid=secret; HttpOnly')
    return { query: request.query, isSocket: request.isSocket }
  })
  for (const method of ['post', 'put', 'patch', 'delete'] as const) {
    app[method]('/user/:id', async (request, reply) => reply.code(method === 'post' ? 201 : 200).send({ method: request.method, params: request.params, body: request.body }))
  }
  app.get('/boom', async () => { throw new Error('kaboom') })
  app.get('/headers', async (request) => ({ cookie: request.headers.cookie ?? null, token: request.headers['x-token'] ?? null }))
  app.get('/join', async (request) => { await app.sockets.join(request, 'pets'); return { joined: 'pets' } })
  app.post('/pets', async (request) => {
    app.sockets.broadcast('pets', 'pet', { verb: 'created', data: request.body }, { except: request })
    return { ok: true }
  })
}

t.test('every verb, status codes and JWR headers, through io.socket', async (t) => {
  const app = await buildApp(t, {}, routes)
  const io = sailsIo(t, urlOf(app))

  const [body, jwr] = await call(io.socket, 'get', '/user', { name: 'rex' })
  t.same(body, { query: { name: 'rex' }, isSocket: true }, 'get data becomes the query, as sails.io.js front ends expect')
  t.equal(jwr.statusCode, 200)
  t.equal(jwr.headers['x-custom'], 'yes', 'headers the route set reach the JWR')
  t.equal(jwr.headers['set-cookie'], undefined, 'set-cookie never does')
  t.equal(jwr.error, undefined)

  const [created, createdJwr] = await call(io.socket, 'post', '/user/1', { name: 'max' })
  t.equal(createdJwr.statusCode, 201)
  t.same(created, { method: 'POST', params: { id: '1' }, body: { name: 'max' } })
  for (const method of ['put', 'patch', 'delete'] as const) {
    const [answer, answerJwr] = await call(io.socket, method, '/user/2', { n: 2 })
    t.equal(answerJwr.statusCode, 200, method)
    t.same(answer, { method: method.toUpperCase(), params: { id: '2' }, body: { n: 2 } }, method)
  }
})

t.test('a 404 and a 500 come back as sails.io.js JWRs with jwr.error', async (t) => {
  const app = await buildApp(t, {}, routes)
  const io = sailsIo(t, urlOf(app))
  const [missing, missingJwr] = await call(io.socket, 'get', '/nowhere')
  t.equal(missingJwr.statusCode, 404)
  t.match(missing, { statusCode: 404, error: 'Not Found' })
  t.ok(missingJwr.error instanceof Error, 'sails.io.js sets jwr.error for a 4xx')
  const [failed, failedJwr] = await call(io.socket, 'get', '/boom')
  t.equal(failedJwr.statusCode, 500)
  t.match(failed, { statusCode: 500, message: 'kaboom' })
  t.ok(failedJwr.error instanceof Error)
})

t.test('requests made before the socket connects are queued and answered in order', async (t) => {
  const arrived: string[] = []
  const app = await buildApp(t, {}, (app) => {
    routes(app)
    app.addHook('onRequest', async (request) => { if (request.url.startsWith('/user/')) arrived.push(request.url) })
  })
  const io = sailsIo(t, urlOf(app))
  t.equal(io.socket.isConnected(), false, 'not connected yet: sails.io.js queues')
  const answers = await Promise.all([1, 2, 3].map((n) => call(io.socket, 'post', `/user/${n}`, { n })))
  t.same(answers.map(([body]) => (body as { params: { id: string } }).params.id), ['1', '2', '3'], 'each answer is its own request\'s')
  t.same(arrived, ['/user/1', '/user/2', '/user/3'], 'the server received them in the order they were made')
})

t.test('a broadcast reaches io.socket.on; the sender is excluded', async (t) => {
  const app = await buildApp(t, {}, routes)
  const io = sailsIo(t, urlOf(app))
  await call(io.socket, 'get', '/join')
  const other = manual(t, io)
  await call(other, 'get', '/join')
  const heard: unknown[] = []
  other.on('pet', (msg: unknown) => heard.push(msg))
  const received = nextSailsEvent(io.socket, 'pet')
  const [, jwr] = await call(other, 'post', '/pets', { name: 'rex' })
  t.equal(jwr.statusCode, 200)
  t.same(await received, { verb: 'created', data: { name: 'rex' } })
  t.same(heard, [], 'the requesting socket was excluded')
})

t.test('handshake: Engine.IO 3, the __sails_io_sdk_* query parameters, connection and per-socket headers', async (t) => {
  const handshakes: Array<{ query: Record<string, unknown> }> = []
  const app = await buildApp(t, {}, async (app) => {
    await routes(app)
    app.sockets.io.on('connection', (socket) => { handshakes.push({ query: { ...socket.handshake.query } }) })
  })
  const io = sailsIo(t, urlOf(app), { initialConnectionHeaders: { cookie: 'sid=abc' }, headers: { 'x-token': 't1' }, query: 'tenant=7' })
  const [body] = await call(io.socket, 'get', '/headers')
  t.same(body, { cookie: 'sid=abc', token: 't1' }, 'the handshake cookie and io.sails.headers reach the route')
  t.match(handshakes[0]?.query, {
    __sails_io_sdk_version: '1.2.1',
    __sails_io_sdk_platform: 'node',
    __sails_io_sdk_language: 'javascript',
    tenant: '7',
    EIO: '3'
  })
  const own = await new Promise<unknown>((resolve) => io.socket.request({ url: '/headers', headers: { 'x-token': 't2' } }, (b) => resolve(b)))
  t.same(own, { cookie: 'sid=abc', token: 't2' }, 'a request header wins over the socket default')
})

t.test('with io.sails.reconnection, a request made while the server restarts is delivered after it is back', async (t) => {
  const start = async (port: number, name: string): Promise<FastifyInstance> => await startWho(t, port, name)
  const first = await start(0, 'first')
  const port = (first.server.address() as AddressInfo).port
  const io = sailsIo(t, `http://127.0.0.1:${port}`, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 })
  t.same((await call(io.socket, 'get', '/who'))[0], { server: 'first' })
  const lost = nextSailsEvent(io.socket, 'disconnect')
  await first.close()
  await lost
  const queued = call(io.socket, 'get', '/who')
  await start(port, 'second')
  const [body, jwr] = await queued
  t.equal(jwr.statusCode, 200)
  t.same(body, { server: 'second' })
})
