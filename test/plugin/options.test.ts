import t from 'tap'
import Fastify from 'fastify'
import fastifySockets, { errorCodes } from '../../lib/index.js'
import { resolveOptions } from '../../lib/options.js'
import { buildApp, connect } from '../helpers/app.js'

t.test('invalid options are refused with FST_SOCKETS_OPTIONS_INVALID, never replaced by a default', async (t) => {
  const bad: unknown[] = [
    'yes', [], { bogus: 1 }, { allowedOrigins: 'https://a.example' }, { allowedOrigins: ['https://a.example/'] },
    { allowedOrigins: ['a.example'] }, { allowedOrigins: ['https://a.example:443'] }, { allowedOrigins: ['ftp://a.example'] },
    { allowedOrigins: [42] }, { allowNoOrigin: 'no' }, { allowRequest: true }, { requestTimeout: 0 },
    { requestTimeout: -1 }, { requestTimeout: 1.5 }, { requestTimeout: '30s' }, { requestTimeout: 2 ** 31 },
    { socketio: 'x' }, { socketio: { allowRequest: () => true } }, { allowedOrigins: [] },
    { client: { path: '/__getcookie' } },
    { onConnection: () => {}, socketio: { connectionStateRecovery: {} } },
    { socketio: { connectionStateRecovery: { skipMiddlewares: false } } }, { recovery: { maxDisconnectionDuration: -1 } },
    { dispatch: 'routing' }, { dispatch: true }, { replaceableHeaders: 'authorization' }, { replaceableHeaders: ['host'] },
    { cookieJar: true }, { cookieJar: { maxCookies: 5 } }, { cookieJar: { maxCookiesPerDomain: 0 } }, { cookieJar: { maxBytesPerDomain: 1.5 } }
  ]
  for (const opts of bad) {
    t.throws(() => resolveOptions(opts, {}), { code: 'FST_SOCKETS_OPTIONS_INVALID' }, JSON.stringify(opts))
  }
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(fastifySockets, { requestTimeout: -5 }) }, { code: 'FST_SOCKETS_OPTIONS_INVALID' }, 'register fails')
})

t.test('defaults and valid options', async (t) => {
  const opts = resolveOptions(undefined, {})
  t.equal(opts.requestTimeout, 30_000)
  t.equal(opts.allowNoOrigin, true)
  t.same(opts.socketio, { allowEIO3: true, serveClient: false })
  t.equal(opts.dispatch, 'lean')
  t.same(opts.cookieJar, { maxCookiesPerDomain: 50, maxBytesPerDomain: 8192 })
  t.equal(resolveOptions({ cookieJar: false }, {}).cookieJar, undefined, 'cookieJar: false turns the jar off')
  t.ok(Object.isFrozen(opts))
  const custom = resolveOptions({ allowedOrigins: ['https://a.example', 'http://localhost:3000'], socketio: { allowEIO3: false, path: '/rt' } }, {})
  t.same([...custom.allowedOrigins ?? []], ['https://a.example', 'http://localhost:3000'])
  t.same(custom.socketio, { allowEIO3: false, serveClient: false, path: '/rt' }, 'the passthrough can turn EIO3 off')
})

t.test('production requires allowedOrigins or allowRequest', async (t) => {
  t.throws(() => resolveOptions({}, { NODE_ENV: 'production' }), { code: 'FST_SOCKETS_ORIGINS_REQUIRED' })
  t.ok(resolveOptions({ allowedOrigins: ['https://a.example'] }, { NODE_ENV: 'production' }))
  t.ok(resolveOptions({ allowRequest: () => true }, { NODE_ENV: 'production' }))
  t.equal(errorCodes.FST_SOCKETS_ORIGINS_REQUIRED.name, 'FastifyError')
})

t.test('allowedOrigins is enforced at the handshake; allowRequest decides after it', async (t) => {
  const app = await buildApp(t, {
    allowedOrigins: ['http://good.example'],
    allowRequest: async (req) => req.headers['x-token'] !== 'banned'
  })
  t.ok(await connect(t, app, { extraHeaders: { origin: 'http://good.example' } }), 'allowed origin connects')
  await t.rejects(connect(t, app, { extraHeaders: { origin: 'http://evil.example' } }), 'other origin is refused')
  await t.rejects(connect(t, app, { extraHeaders: { origin: 'http://good.example', 'x-token': 'banned' } }), 'allowRequest refuses')
  t.ok(await connect(t, app), 'no Origin header passes with the default allowNoOrigin')
  await t.rejects(connect(t, app, { transports: ['polling'], extraHeaders: { origin: 'http://evil.example' } }), 'polling is checked too')
})

t.test('the socketio passthrough reaches socket.io', async (t) => {
  const app = await buildApp(t, { socketio: { path: '/realtime' } })
  t.ok(await connect(t, app, { path: '/realtime' }), 'custom path')
  await t.rejects(connect(t, app, { timeout: 1000 }), 'default path no longer answers')
})

t.test("Fastify's own register options pass through; the cookie route's path can be taken once it is off", async (t) => {
  t.ok(resolveOptions({ prefix: '/v1', logLevel: 'warn', logSerializers: {} }, {}), 'prefix, logLevel, logSerializers are Fastify\'s')
  t.same(resolveOptions({ client: { path: '/__getcookie', getCookie: false } }, {}).client, { path: '/__getcookie', getCookie: false })
  t.ok(resolveOptions({ onConnection: () => {}, recovery: { maxDisconnectionDuration: 1000 } }, {}),
    'connection state recovery with onConnection: the plugin runs the middlewares on recovery too')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySockets, { logLevel: 'warn' } as never)
  await app.ready()
  t.ok(app.sockets, 'registered with a Fastify register option')
})
