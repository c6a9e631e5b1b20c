import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp, connect, request, flush, waitFor } from '../helpers/app.js'
import type { JWR } from '../../lib/index.js'

const abandoned: string[] = []

function routes (app: FastifyInstance): void {
  app.get('/ok', async () => ({ ok: true }))
  app.post('/ok', async (request) => ({ body: request.body ?? null }))
  app.get('/throws', () => { throw new Error('sync throw') })
  app.get('/rejects', async () => { throw new Error('async reject') })
  app.get('/never', (request) => new Promise(() => {
    // never answers; but hears when nobody waits any more
    request.signal.addEventListener('abort', () => { abandoned.push(request.url) })
  }))
}

let uncaught = 0
const onUncaught = (): void => { uncaught++ }
process.on('uncaughtException', onUncaught)
process.on('unhandledRejection', onUncaught)
t.teardown(() => {
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
})

async function raw (socket: import('socket.io-client').Socket, event: string, ...args: unknown[]): Promise<JWR> {
  return await socket.timeout(5000).emitWithAck(event, ...args) as JWR
}

t.test('malformed packets get a 400 JWR with a coded error and never reach a route', async (t) => {
  let reached = 0
  const app = await buildApp(t, {}, (app) => {
    routes(app)
    app.addHook('onRequest', async () => { reached++ })
  })
  const socket = await connect(t, app)
  const bad: Array<[string, unknown[]]> = [
    ['null payload', [null]],
    ['number payload', [42]],
    ['string payload', ['/ok']],
    ['array payload', [[{ url: '/ok' }]]],
    ['missing url', [{ method: 'get' }]],
    ['non-string url', [{ method: 'get', url: 7 }]],
    ['empty url', [{ method: 'get', url: '' }]],
    ['absolute url', [{ method: 'get', url: 'http://evil.example/ok' }]],
    ['protocol-relative url', [{ method: 'get', url: '//evil.example/ok' }]],
    ['backslash url', [{ method: 'get', url: '/\\evil.example' }]],
    ['url with control characters', [{ method: 'get', url: '/ok\r\nx-injected: 1' }]],
    ['huge url', [{ method: 'get', url: '/' + 'a'.repeat(5000) }]],
    ['method mismatching the event', [{ method: 'delete', url: '/ok' }]],
    ['non-string method', [{ method: 5, url: '/ok' }]],
    ['headers not an object', [{ method: 'get', url: '/ok', headers: 'x: 1' }]],
    ['headers an array', [{ method: 'get', url: '/ok', headers: ['x'] }]],
    ['nested header value', [{ method: 'get', url: '/ok', headers: { 'x-a': { b: 1 } } }]],
    ['header value with CR/LF', [{ method: 'get', url: '/ok', headers: { 'x-a': 'b\r\nset-cookie: c' } }]],
    ['header name not a token', [{ method: 'get', url: '/ok', headers: { 'x a': 'b' } }]],
    ['too many headers', [{ method: 'get', url: '/ok', headers: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-${i}`, 'v'])) }]],
    ['__proto__ key in data', [JSON.parse('{"method":"post","url":"/ok","data":{"__proto__":{"polluted":1}}}')]],
    ['__proto__ key in headers', [JSON.parse('{"method":"get","url":"/ok","headers":{"__proto__":{"x":"1"}}}')]],
    ['constructor.prototype in data', [{ method: 'post', url: '/ok', data: { constructor: { prototype: { polluted: 1 } } } }]],
    ['deep nesting', [{ method: 'post', url: '/ok', data: JSON.parse('['.repeat(200) + ']'.repeat(200)) }]],
    ['GET data not an object', [{ method: 'get', url: '/ok', data: [1, 2] }]],
    ['extra arguments', [{ method: 'get', url: '/ok' }, 'extra']],
    ['binary data', [{ method: 'post', url: '/ok', data: { file: Buffer.alloc(50_000, 1) } }]]
  ]
  for (const [name, args] of bad) {
    const event = name === 'method mismatching the event' || name === 'non-string method' ? 'get' : ((args[0] as { method?: string } | null)?.method as string | undefined) ?? 'get'
    const jwr = await raw(socket, typeof event === 'string' ? event : 'get', ...args)
    t.equal(jwr.statusCode, 400, `${name}: 400`)
    t.match(jwr.body, { code: 'FST_SOCKETS_BAD_REQUEST', statusCode: 400 }, `${name}: coded`)
  }
  t.equal(reached, 0, 'no malformed packet reached Fastify')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted')
  t.same((await request(socket, 'get', '/ok')).body, { ok: true }, 'the socket still works')
})

t.test('packets without an ack, or with a non-function last argument, are dropped with a log line', async (t) => {
  const lines: string[] = []
  let reached = 0
  const app = await buildApp(t, {}, (app) => {
    routes(app)
    // counted on entry too: a request dispatched for nobody would show before the answer to the next one
    app.addHook('onRequest', async (request) => { if (request.url === '/count') reached++ })
    app.post('/count', async () => { reached++; return {} })
  }, { logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } } })
  const socket = await connect(t, app)
  socket.emit('get', null)
  socket.emit('get', { url: 'http://evil.example' })
  socket.emit('get', { url: '/ok' }, 'not-a-function')
  socket.emit('post', { method: 'post', url: '/count', data: {}, headers: {} })
  // socket.io keeps order per connection: once this is answered, the four packets before it were handled
  await request(socket, 'get', '/ok')
  const dropped = lines.filter((line) => line.includes('socket request dropped'))
  t.equal(dropped.length, 4, 'one log line each')
  t.equal(reached, 0, 'a well-formed request without an ack is not run for nobody')
  t.ok(dropped.every((line) => line.includes('FST_SOCKETS_BAD_REQUEST')), 'with the code')
})

t.test('unknown events are ignored; the socket keeps working', async (t) => {
  const app = await buildApp(t, {}, routes)
  const socket = await connect(t, app)
  let acked = false
  socket.emit('trace', { method: 'trace', url: '/ok' }, () => { acked = true })
  socket.emit('GET', { method: 'get', url: '/ok' }, () => { acked = true })
  t.same((await request(socket, 'get', '/ok')).body, { ok: true })
  await flush(app, [socket])
  t.equal(acked, false, 'events other than the seven verbs get no ack (as in Sails)')
})

t.test('a non-semver or too old __sails_io_sdk_version gets a 400 per request; the process lives', async (t) => {
  const app = await buildApp(t, {}, routes)
  for (const version of ['abc', '0.9.0', '1.2']) {
    const socket = await connect(t, app, { query: { __sails_io_sdk_version: version } })
    const jwr = await request(socket, 'get', '/ok')
    t.equal(jwr.statusCode, 400, version)
    t.match(jwr.body, { code: 'FST_SOCKETS_SDK_VERSION' })
  }
  const good = await connect(t, app, { query: { __sails_io_sdk_version: '1.2.1', __sails_io_sdk_platform: 'node' } })
  t.same((await request(good, 'get', '/ok')).body, { ok: true }, 'sails.io.js 1.2.1 passes')
})

t.test('handlers that throw, reject or never reply', async (t) => {
  const app = await buildApp(t, { requestTimeout: 500 }, routes)
  const socket = await connect(t, app)
  const thrown = await request(socket, 'get', '/throws')
  t.match(thrown, { statusCode: 500, body: { message: 'sync throw' } })
  const rejected = await request(socket, 'get', '/rejects')
  t.match(rejected, { statusCode: 500, body: { message: 'async reject' } })
  const never = await request(socket, 'get', '/never')
  t.match(never, { statusCode: 504, body: { code: 'FST_SOCKETS_REQUEST_TIMEOUT' } }, 'the deadline answers 504')
  t.same(abandoned, ['/never'], "and aborts the route's request.signal")
  t.same((await request(socket, 'get', '/ok')).body, { ok: true }, 'the socket keeps working')
})

t.test('a socket that disconnects mid-request gets no ack and leaves nothing behind', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let finished = 0
  const signalled: string[] = []
  const abortHooks: string[] = []
  let inRoutes = 0
  let responded = 0
  let bothEntered!: () => void
  const entered = new Promise<void>((resolve) => { bothEntered = resolve })
  const app = await buildApp(t, {}, (app) => {
    const slow = async (request: import('fastify').FastifyRequest) => {
      request.signal.addEventListener('abort', () => signalled.push(request.method))
      if (++inRoutes === 2) bothEntered()
      await gate
      finished++
      return { late: true }
    }
    const onRequestAbort = async (request: import('fastify').FastifyRequest) => { abortHooks.push(request.method) }
    app.get('/slow', { onRequestAbort }, slow)
    app.post('/slow', { onRequestAbort }, slow)
    // onResponse runs after the answer was handed to the socket (or withheld): the end of the road for an ack
    app.addHook('onResponse', async () => { responded++ })
  })
  const socket = await connect(t, app)
  let acks = 0
  socket.emit('get', { method: 'get', url: '/slow' }, () => { acks++ })
  socket.emit('post', { method: 'post', url: '/slow', data: { a: 1 } }, () => { acks++ })
  const sockets = app.sockets.io.of('/').sockets
  await entered // both requests are in their routes
  socket.disconnect()
  await waitFor(() => sockets.size === 0, 'every socket to be gone')
  release()
  await waitFor(() => finished >= 2, 'both requests to finish')
  await waitFor(() => responded >= 2, 'both answers to reach onResponse')
  t.equal(acks, 0, 'no ack reached the gone socket')
  t.same(signalled.sort(), ['GET', 'POST'], 'request.signal aborted for both, body or not (as for an HTTP client that hangs up)')
  t.same(abortHooks.sort(), ['GET', 'POST'], 'onRequestAbort hooks ran')
  t.equal(app.sockets.stats().inFlight, 0, 'nothing in flight')
  t.equal(app.sockets.io.of('/').adapter.rooms.size, 0, 'no room left behind')
})

t.test('no uncaught exception or unhandled rejection in this file', async (t) => {
  t.equal(uncaught, 0)
})
