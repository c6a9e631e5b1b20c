import t from 'tap'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import fastifySockets from '../../lib/index.js'
import { connect as sdk } from '../../lib/client/index.js'
import { buildApp, urlOf } from '../helpers/app.js'
import { freePort } from '../helpers/redis.js'

// What a newcomer meets first: every mistake gets a coded error that says what to do.

t.test('an unknown option names the closest known one', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ allowedOrigin: ['https://a.example'] }, /unknown option 'allowedOrigin' \(did you mean 'allowedOrigins'\?\)/],
    [{ requesttimeout: 5 }, /unknown option 'requesttimeout' \(did you mean 'requestTimeout'\?\)/],
    [{ client: { pth: '/x.js' } }, /unknown option 'client\.pth' \(did you mean 'client\.path'\?\)/],
    [{ cluster: { redis: { url: 'redis://127.0.0.1:1' }, heartbeatIntervl: 50 } }, /unknown option 'cluster\.heartbeatIntervl' \(did you mean 'cluster\.heartbeatInterval'\?\)/],
    [{ zzz: 1 }, /^Invalid fastify-sockets options: unknown option 'zzz'$/]
  ]
  for (const [options, message] of cases) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => { await app.register(fastifySockets, options as never) }, { code: 'FST_SOCKETS_OPTIONS_INVALID', message }, JSON.stringify(options))
  }
})

t.test('registering the plugin twice is a coded error, not Fastify\'s decorator message', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySockets)
  await t.rejects(async () => { await app.register(fastifySockets) }, { code: 'FST_SOCKETS_ALREADY_REGISTERED', message: /already registered on this app: register it once, at the root/ })
})

t.test('registering it in a child context is refused with a coded error saying to register it at the root', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(async (child) => { await child.register(fastifySockets) })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_SOCKETS_NOT_AT_ROOT', message: /must be registered at the root of the app/ })

  // Inside a plugin that fastify-plugin keeps at the root, it is at the root: fine.
  const wrapped = Fastify()
  t.teardown(() => wrapped.close())
  await wrapped.register(fp(async (root) => { await root.register(fastifySockets) }, { name: 'wrapper' }))
  wrapped.get('/hello', async (request) => ({ isSocket: request.isSocket }))
  const client = await wrapped.sockets.connectClient()
  t.same((await client.get('/hello')).body, { isSocket: true }, 'connectClient and request.isSocket work')
})

t.test('a cluster whose Redis is unreachable at startup: a process warning even with the logger off', async (t) => {
  const port = await freePort()
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const app = await buildApp(t, { cluster: { redis: { url: `redis://127.0.0.1:${port}` }, readyTimeout: 200 } }, (app) => {
    app.get('/hello', async () => ({ ok: true }))
  })
  await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
  const warning = warnings.find((w) => (w as Error & { code?: string }).code === 'FST_SOCKETS_CLUSTER_NOT_READY')
  t.ok(warning, 'a FST_SOCKETS_CLUSTER_NOT_READY warning')
  t.equal(warning?.name, 'FastifySocketsWarning')
  t.match(warning?.message, /Redis not ready within 200 ms; starting with local delivery only/)
  t.equal(app.sockets.cluster?.ready, false, 'the app runs, not ready')
  t.equal((await app.inject('/hello')).statusCode, 200)
})

t.test('cluster.requireReady makes registration fail instead, leaving nothing open', async (t) => {
  const port = await freePort()
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifySockets, { cluster: { redis: { url: `redis://127.0.0.1:${port}` }, readyTimeout: 200, requireReady: true } })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_SOCKETS_CLUSTER_NOT_READY', message: /not ready within cluster\.readyTimeout \(200 ms\)/ })
  const bad = Fastify()
  t.teardown(() => bad.close())
  await t.rejects(async () => { await bad.register(fastifySockets, { cluster: { redis: { url: 'redis://127.0.0.1:1' }, readyTimeout: 0, requireReady: true } }) },
    { code: 'FST_SOCKETS_OPTIONS_INVALID', message: /requireReady needs a cluster\.readyTimeout above 0/ })
})

t.test('the error object a Sails-style (body, jwr) callback gets serialises: no circular reference', async (t) => {
  const app = await buildApp(t, {}, (app) => { app.get('/slow', () => new Promise(() => {})) })
  const socket = sdk(urlOf(app), { reconnection: false, transports: ['websocket'] })
  t.teardown(() => { socket.disconnect() })
  const [body, jwr] = await new Promise<[unknown, unknown]>((resolve) => {
    socket.get('/slow', (body, jwr) => resolve([body, jwr]))
    socket.on('connect', () => { setImmediate(() => socket.disconnect()) })
  })
  t.match(body, { code: 'FST_SOCKETS_CLIENT_DISCONNECTED', statusCode: 0 })
  t.same(JSON.parse(JSON.stringify(body)), {
    name: 'SocketClientError', code: 'FST_SOCKETS_CLIENT_DISCONNECTED', statusCode: 0, message: 'The socket disconnected before the request completed'
  }, 'JSON.stringify(body) works')
  t.match(JSON.parse(JSON.stringify(jwr)), { body: null, statusCode: 0, headers: {}, error: { code: 'FST_SOCKETS_CLIENT_DISCONNECTED' } }, 'and so does JSON.stringify(jwr)')
})
