import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { connect, SocketClientError, type ClientSocket, type ClientOptions, type JWR } from '../../lib/client/index.js'
import { buildApp, urlOf, startWho, type Teardown } from '../helpers/app.js'

function sdk<E extends object = Record<string, unknown>> (t: Teardown, url: string, opts?: ClientOptions): ClientSocket<E> {
  const socket = connect<E>(url, opts)
  t.teardown(() => { socket.disconnect() })
  return socket
}

function once<T = unknown> (socket: ClientSocket<Record<string, unknown>>, event: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (payload: unknown): void => { socket.off(event as 'connect', on as () => void); resolve(payload as T) }
    socket.on(event as 'connect', on as () => void)
  })
}

async function routes (app: FastifyInstance): Promise<void> {
  app.get('/hello', async (request) => ({ hello: 'world', query: request.query, socket: request.isSocket }))
  app.post('/echo', async (request) => ({ method: request.method, body: request.body }))
  app.put('/echo', async (request) => ({ method: request.method, body: request.body }))
  app.patch('/echo', async (request) => ({ method: request.method, body: request.body }))
  app.delete('/echo', async (request) => ({ method: request.method, body: request.body ?? null }))
  app.get('/headers', async (request) => ({ token: request.headers['x-token'] ?? null, other: request.headers['x-other'] ?? null }))
  app.get('/boom', async () => { throw new Error('boom') })
  app.get('/join', async (request) => { await app.sockets.join(request, 'news'); return { joined: true } })
  app.post('/news', async (request) => { app.sockets.broadcast('news', 'news', request.body); return { sent: true } })
}

t.test('promise form: every verb resolves with the JWR', async (t) => {
  const app = await buildApp(t, {}, routes)
  const socket = sdk(t, urlOf(app))
  const get = await socket.get<{ hello: string, query: unknown, socket: boolean }>('/hello', { a: '1' })
  t.equal(get.statusCode, 200)
  t.same(get.body, { hello: 'world', query: { a: '1' }, socket: true })
  t.match(get.headers, { 'content-type': /json/ })
  t.equal(get.error, undefined)
  for (const verb of ['post', 'put', 'patch', 'delete'] as const) {
    const jwr = await socket[verb]('/echo', { n: 1 })
    t.same(jwr.body, { method: verb.toUpperCase(), body: { n: 1 } }, verb)
  }
  const viaRequest = await socket.request({ method: 'POST', url: '/echo', data: { via: 'request' } })
  t.same(viaRequest.body, { method: 'POST', body: { via: 'request' } })
  const viaParams = await socket.request({ method: 'put', url: '/echo', params: { via: 'params' } })
  t.same(viaParams.body, { method: 'PUT', body: { via: 'params' } })
})

t.test('4xx and 5xx answers resolve with jwr.error set', async (t) => {
  const app = await buildApp(t, {}, routes)
  const socket = sdk(t, urlOf(app))
  const missing = await socket.get('/nope')
  t.equal(missing.statusCode, 404)
  t.ok(missing.error instanceof Error)
  t.match(missing.error?.message, /404/)
  const boom = await socket.get('/boom')
  t.equal(boom.statusCode, 500)
  t.match(boom.body, { message: 'boom' })
})

t.test('callback form: (body, jwr), with or without data', async (t) => {
  const app = await buildApp(t, {}, routes)
  const socket = sdk(t, urlOf(app))
  const [body, jwr] = await new Promise<[unknown, JWR<unknown>]>((resolve) => {
    const result = socket.get('/hello', (body, jwr) => resolve([body, jwr]))
    t.equal(result, undefined, 'no promise in callback form')
  })
  t.match(body, { hello: 'world' })
  t.equal(jwr.statusCode, 200)
  const posted = await new Promise<unknown>((resolve) => { socket.post('/echo', { x: 2 }, (body) => resolve(body)) })
  t.same(posted, { method: 'POST', body: { x: 2 } })
  const requested = await new Promise<JWR<unknown>>((resolve) => { socket.request({ url: '/nope' }, (_body, jwr) => resolve(jwr)) })
  t.equal(requested.statusCode, 404)
})

t.test('requests made before the socket connects are queued and sent in order', async (t) => {
  const arrived: number[] = []
  const app = await buildApp(t, {}, (app) => {
    routes(app)
    app.addHook('preHandler', async (request) => { if (request.url === '/echo') arrived.push((request.body as { n: number }).n) })
  })
  const socket = sdk(t, urlOf(app))
  t.equal(socket.isConnected(), false)
  t.equal(socket.isConnecting(), true)
  const answers = await Promise.all([1, 2, 3].map((n) => socket.post('/echo', { n })))
  t.same(answers.map((jwr) => (jwr.body as { body: { n: number } }).body.n), [1, 2, 3], 'each answer is its own request\'s')
  t.same(arrived, [1, 2, 3], 'the server received them in the order they were made')
  t.equal(socket.isConnected(), true)
})

t.test('per-socket default headers and initial connection headers', async (t) => {
  const app = await buildApp(t, {}, routes)
  const socket = sdk(t, urlOf(app), { headers: { 'X-Token': 'socket-default', 'x-other': 'kept' } })
  t.same((await socket.get('/headers')).body, { token: 'socket-default', other: 'kept' })
  const own = await socket.request({ url: '/headers', headers: { 'x-token': 'mine' } })
  t.same(own.body, { token: 'mine', other: 'kept' }, 'a request header wins over the socket default')
  socket.headers = { 'x-token': 'changed' }
  t.same((await socket.get('/headers')).body, { token: 'changed', other: null })

  const handshake = sdk(t, urlOf(app), { initialConnectionHeaders: { 'x-token': 'from-handshake' } })
  t.same((await handshake.get('/headers')).body, { token: 'from-handshake', other: null }, 'handshake headers reach every request')
})

t.test('typed on/off: server pushes reach listeners; off removes them', async (t) => {
  const app = await buildApp(t, {}, routes)
  const listener = sdk<{ news: { title: string } }>(t, urlOf(app))
  const sender = sdk(t, urlOf(app))
  await listener.get('/join')
  const heard = new Promise<{ title: string }>((resolve) => listener.on('news', (payload) => resolve(payload)))
  await sender.post('/news', { title: 'first' })
  t.same(await heard, { title: 'first' })

  const seen: unknown[] = []
  const record = (payload: { title: string }): void => { seen.push(payload) }
  listener.on('news', record).off('news', record)
  const again = new Promise<{ title: string }>((resolve) => listener.on('news', resolve))
  await sender.post('/news', { title: 'second' })
  t.same(await again, { title: 'second' })
  t.same(seen, [], 'the removed listener heard nothing')
})

t.test('a server restart: the socket reconnects and delivers a request queued meanwhile', async (t) => {
  const start = async (port: number, name: string): Promise<FastifyInstance> => await startWho(t, port, name)
  const first = await start(0, 'first')
  const port = (first.server.address() as AddressInfo).port
  const socket = sdk(t, `http://127.0.0.1:${port}`, { reconnectionDelay: 100, reconnectionDelayMax: 200 })
  t.same((await socket.get('/who')).body, { server: 'first' })
  const firstId = socket.id

  const lost = once<string>(socket as never, 'disconnect')
  await first.close()
  t.equal(await lost, 'transport close', 'a closing server lets clients reconnect')
  t.equal(socket.isConnecting(), true, 'reconnecting')

  const queued = socket.get('/who')
  const reconnected = once(socket as never, 'reconnect')
  await start(port, 'second')
  await reconnected
  t.same((await queued).body, { server: 'second' }, 'the queued request reached the new server')
  t.not(socket.id, firstId, 'a new socket id after reconnecting')
})

t.test('disconnect mid-request settles with statusCode 0, never hangs', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  t.teardown(() => release())
  let arrived!: () => void
  const started = new Promise<void>((resolve) => { arrived = resolve })
  const app = await buildApp(t, {}, (app) => {
    app.get('/slow', async () => { arrived(); await gate; return { late: true } })
    app.get('/kick', async (request) => { setImmediate(() => { void app.sockets.disconnect(request) }); await gate; return {} })
  })

  // the client disconnects
  const socket = sdk(t, urlOf(app))
  const pending = socket.get('/slow')
  await started
  socket.disconnect()
  const err = await pending.then(() => undefined, (err: unknown) => err)
  t.ok(err instanceof SocketClientError)
  t.match(err, { code: 'FST_SOCKETS_CLIENT_DISCONNECTED', statusCode: 0, jwr: { body: null, statusCode: 0, headers: {} } })

  // after disconnect(), requests fail at once until reconnect()
  await t.rejects(socket.get('/slow'), { code: 'FST_SOCKETS_CLIENT_NOT_CONNECTED', statusCode: 0 })
  socket.reconnect()
  t.equal((await socket.get('/nope')).statusCode, 404, 'reconnect() brings the socket back')

  // the server disconnects the socket: the callback form gets (error, { statusCode: 0 })
  const kicked = sdk(t, urlOf(app))
  const [first, jwr] = await new Promise<[unknown, JWR<unknown>]>((resolve) => { kicked.get('/kick', (body, jwr) => resolve([body, jwr])) })
  t.ok(first instanceof SocketClientError, 'the body argument is the error, as in sails.io.js')
  t.equal(jwr.statusCode, 0)
  t.ok(jwr.error)
  t.equal(kicked.isConnected(), false)
  t.equal(kicked.isConnecting(), false, 'a socket the server disconnected does not reconnect by itself')
})

t.test('a connection that fails settles queued requests', async (t) => {
  const app = await buildApp(t, {})
  const url = urlOf(app)
  await app.close()
  const socket = sdk(t, url, { reconnection: false })
  await t.rejects(socket.get('/x'), { code: 'FST_SOCKETS_CLIENT_CONNECT_FAILED', statusCode: 0 })

  const retrying = sdk(t, url, { reconnectionAttempts: 2, reconnectionDelay: 50, reconnectionDelayMax: 50 })
  const failed = once(retrying as never, 'reconnect_failed')
  await t.rejects(retrying.get('/x'), { code: 'FST_SOCKETS_CLIENT_CONNECT_FAILED', statusCode: 0 })
  await failed
})

t.test('requestTimeout bounds a request, queueing included', async (t) => {
  const app = await buildApp(t, {}, (app) => { app.get('/never', () => new Promise(() => {})) })
  const socket = sdk(t, urlOf(app), { requestTimeout: 200 })
  await t.rejects(socket.get('/never'), { code: 'FST_SOCKETS_CLIENT_TIMEOUT', statusCode: 0 })
  t.equal((await socket.get('/nope')).statusCode, 404, 'the socket still works')
})

t.test('usage errors throw at once with a code', async (t) => {
  const app = await buildApp(t, {})
  const socket = sdk(t, urlOf(app))
  t.throws(() => socket.request({ method: 'fetch', url: '/x' }), { code: 'FST_SOCKETS_CLIENT_INVALID_ARGUMENT' })
  t.throws(() => socket.get(42 as never), { code: 'FST_SOCKETS_CLIENT_INVALID_ARGUMENT' })
  t.throws(() => socket.request({ url: '/x', data: {}, params: {} }), { code: 'FST_SOCKETS_CLIENT_INVALID_ARGUMENT' })
  t.throws(() => socket.request({ url: '/x', headers: { a: 1 } as never }), { code: 'FST_SOCKETS_CLIENT_INVALID_ARGUMENT' })
  t.throws(() => socket.on('x', 'nope' as never), { code: 'FST_SOCKETS_CLIENT_INVALID_ARGUMENT' })
  t.throws(() => connect(urlOf(app), { reconnection: 'yes' } as never), { code: 'FST_SOCKETS_CLIENT_OPTIONS_INVALID' })
  t.throws(() => connect(urlOf(app), { bogus: 1 } as never), { code: 'FST_SOCKETS_CLIENT_OPTIONS_INVALID' })
  t.throws(() => connect(urlOf(app), { headers: { a: 1 } } as never), { code: 'FST_SOCKETS_CLIENT_OPTIONS_INVALID' })
  t.throws(() => connect('not a url'), { code: 'FST_SOCKETS_CLIENT_OPTIONS_INVALID' })
  t.throws(() => connect(), { code: 'FST_SOCKETS_CLIENT_OPTIONS_INVALID' }, 'no url outside a browser')
})

t.test('lifecycle events: connect and disconnect', async (t) => {
  const app = await buildApp(t, {})
  const socket = sdk(t, urlOf(app))
  await once(socket as never, 'connect')
  t.equal(socket.isConnected(), true)
  t.type(socket.id, 'string')
  const reason = once<string>(socket as never, 'disconnect')
  socket.disconnect()
  t.equal(await reason, 'io client disconnect')
  socket.disconnect() // idempotent
  t.equal(socket.isConnected(), false)
})

t.test('lib/client imports nothing from the server at runtime', async (t) => {
  const { readdir, readFile } = await import('node:fs/promises')
  const dir = new URL('../../lib/client/', import.meta.url)
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts'))) {
    const source = await readFile(new URL(file, dir), 'utf8')
    const runtime = [...source.matchAll(/^import (?!type )[^\n]*from '(\.\.\/[^']+)'/gm)].map((m) => m[1])
    t.same(runtime, [], `${file}: only \`import type\` from outside lib/client`)
  }
})

t.test('a callback that throws does not stop the others from settling, nor the disconnect', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  t.teardown(() => release())
  const app = await buildApp(t, {}, (app) => {
    app.get('/slow', async () => { await gate; return {} })
    app.post('/bye', async (request) => { setImmediate(() => { void app.sockets.disconnect(request) }); return {} })
  })
  const socket = sdk(t, urlOf(app), { reconnection: false })

  const thrown: unknown[] = []
  const onUncaught = (err: unknown): void => { thrown.push(err) }
  process.on('uncaughtException', onUncaught)
  t.teardown(() => { process.off('uncaughtException', onUncaught) })
  socket.get('/slow', () => { throw new Error('callback blew up') })
  const second = socket.get('/slow').then((jwr) => jwr.statusCode, (err: { jwr?: { statusCode: number } }) => err.jwr?.statusCode)
  const disconnected = new Promise((resolve) => socket.on('disconnect', resolve))
  await socket.post('/bye').catch(() => undefined)
  t.equal(await second, 0, 'the second request settled with statusCode 0')
  await disconnected
  t.equal(socket.isConnected(), false, 'the socket knows it is disconnected')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(thrown, [{ message: 'callback blew up' }], "the callback's error surfaced on its own")
})
