// Adversarial checks on one node: S03, S05, S07, S13-S18 of the threat plan (shared/reference/threats.md).
// The basic behaviour of each area is in the core tests (headers, bad-input, logging, close); these go
// after the edges: real HTTP spoofing against the sockets API, the trustProxy matrix, query-string
// pollution, replies after the answer, counters after deadlines and disconnects, late joins, an auth
// lifecycle, and what reaches the log.
import t from 'tap'
import type { FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import type { Socket } from 'socket.io'
import { buildApp, connect, request, urlOf, nextEvent, waitFor } from '../helpers/app.js'

let escaped = 0
process.on('uncaughtException', () => { escaped++ })
process.on('unhandledRejection', () => { escaped++ })

interface LogLine { level: number, msg: string, [key: string]: unknown }
function logCapture (): { lines: LogLine[], raw: string[], logger: FastifyServerOptions['logger'] } {
  const lines: LogLine[] = []
  const raw: string[] = []
  return { lines, raw, logger: { level: 'info', stream: { write: (line: string) => { raw.push(line); lines.push(JSON.parse(line) as LogLine) } } } }
}

t.test('S03: no HTTP input reaches the sockets API: join and getId refuse a spoofed request', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.get('/whoami', async (request) => ({ isSocket: request.isSocket, id: app.sockets.getId(request) ?? null, headers: request.headers }))
    app.get('/join', async (request) => { await app.sockets.join(request, 'vip'); return { joined: true } })
  })
  const socket = await connect(t, app)
  const realId = [...app.sockets.io.of('/').sockets.keys()][0] as string
  const spoof = { 'x-socket-id': realId, 'x-is-socket': 'true', 'x-fastify-sockets': realId, 'x-sails-socket-id': realId }
  const who = await (await fetch(`${urlOf(app)}/whoami?socketId=${realId}`, { headers: spoof })).json() as Record<string, unknown>
  t.match(who, { isSocket: false, id: null }, 'isSocket false and no socket id over HTTP')
  t.equal((who.headers as Record<string, string>)['x-socket-id'], realId, 'the header is just a header: nothing reads it')
  const join = await fetch(`${urlOf(app)}/join`, { headers: spoof })
  t.equal(join.status, 500)
  t.match(await join.json(), { code: 'FST_SOCKETS_NOT_SOCKET_REQUEST' }, 'joining an HTTP request is refused')
  t.same(await app.sockets.members('vip'), [], 'nobody was joined')
  t.match((await request(socket, 'get', '/whoami')).body, { isSocket: true, id: realId }, 'the real socket is still itself')
})

t.test('S05: request.ip, host and protocol match the HTTP path under every trustProxy setting', async (t) => {
  const handshake = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'proxied.example' }
  const forged = {
    host: 'evil.example',
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'http',
    forwarded: 'for=6.6.6.6;host=evil.example;proto=http',
    'x-real-ip': '6.6.6.6',
    cookie: 'sid=forged'
  }
  for (const trustProxy of [false, true, '127.0.0.1']) {
    const app = await buildApp(t, {}, (app) => {
      app.get('/where', async (request) => ({ ip: request.ip, host: request.host, protocol: request.protocol, cookie: request.headers.cookie ?? null }))
    }, { trustProxy })
    const socket = await connect(t, app, { extraHeaders: { ...handshake, cookie: 'sid=real' } })
    const viaSocket = (await request(socket, 'get', '/where', undefined, forged)).body as Record<string, string>
    const viaHttp = await (await fetch(`${urlOf(app)}/where`, { headers: { ...handshake, cookie: 'sid=real' } })).json() as Record<string, string>
    const label = `trustProxy ${JSON.stringify(trustProxy)}`
    t.equal(viaSocket.ip, viaHttp.ip, `${label}: ip ${viaHttp.ip}`)
    t.equal(viaSocket.protocol, viaHttp.protocol, `${label}: protocol ${viaHttp.protocol}`)
    t.equal(viaSocket.cookie, 'sid=real', `${label}: the handshake cookie, not the forged one`)
    // Host over HTTP is the client's Host header; over a socket it is the handshake's (host or x-forwarded-host).
    t.equal(viaSocket.host, viaHttp.host, `${label}: host ${viaHttp.host}`)
    t.notOk(Object.values(viaSocket).some((v) => typeof v === 'string' && (v.includes('evil') || v.includes('6.6.6.6'))), `${label}: nothing forged got through`)
  }
})

t.test('S07: query strings from the url or from GET data cannot pollute a prototype', async (t) => {
  const seen: unknown[] = []
  const app = await buildApp(t, {}, (app) => {
    app.get('/q', async (request) => { seen.push(request.query); return { keys: Object.keys(request.query as object) } })
  })
  const socket = await connect(t, app)
  const viaUrl = await request(socket, 'get', '/q?__proto__[polluted]=1&constructor[prototype][polluted]=1&__proto__=x')
  t.equal(viaUrl.statusCode, 200, 'query keys are only strings')
  const viaData = await request(socket, 'get', '/q', JSON.parse('{"__proto__":{"polluted":1}}'))
  t.match(viaData, { statusCode: 400, body: { code: 'FST_SOCKETS_BAD_REQUEST' } }, 'a __proto__ key in GET data is refused')
  const nested = await request(socket, 'get', '/q', { where: JSON.parse('{"a":{"__proto__":{"polluted":1}}}') })
  t.equal(nested.statusCode, 400, 'so is a nested one')
  const constructor = await request(socket, 'get', '/q', { constructor: { prototype: { polluted: 1 } } })
  t.equal(constructor.statusCode, 400, 'and constructor.prototype')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.equal(seen.length, 1, 'only the url case reached the route')
  t.equal((seen[0] as Record<string, unknown>).polluted, undefined)
})

t.test('S13: a route that replies twice, or whose hook throws, gives exactly one ack', async (t) => {
  const { lines, logger } = logCapture()
  const app = await buildApp(t, {}, (app) => {
    app.get('/twice', (_request, reply) => { void reply.send({ first: true }); void reply.send({ second: true }) })
    app.get('/twice-async', async (_request, reply) => { await reply.send({ first: true }); return { second: true } })
    app.get('/hook', { onSend: async () => { throw new Error('onSend failed') } }, async () => ({ never: 'sent' }))
  }, { logger })
  const socket = await connect(t, app)
  const acks: number[] = []
  socket.io.on('packet', (packet: { type: number }) => { if (packet.type === 3) acks.push(1) })
  t.same((await request(socket, 'get', '/twice')).body, { first: true })
  t.same((await request(socket, 'get', '/twice-async')).body, { first: true })
  t.match(await request(socket, 'get', '/hook'), { statusCode: 500, body: { message: 'onSend failed' } })
  await request(socket, 'get', '/twice') // one more round trip: a stray second ack would have arrived by now
  t.equal(acks.length, 4, 'one ack per request')
  t.ok(lines.some((l) => JSON.stringify(l).includes('FST_ERR_REP_ALREADY_SENT')), 'the second reply is logged by Fastify')
  t.equal(escaped, 0)
})

t.test('S14: a route that never answers gets 504 at the deadline and leaves no request in flight', async (t) => {
  const app = await buildApp(t, { requestTimeout: 300 }, (app) => {
    app.get('/never', () => new Promise(() => {}))
  })
  const socket = await connect(t, app)
  const answers = await Promise.all([1, 2, 3].map(() => request(socket, 'get', '/never')))
  t.same(answers.map((jwr) => jwr.statusCode), [504, 504, 504])
  t.match(answers[0], { body: { code: 'FST_SOCKETS_REQUEST_TIMEOUT' } })
  t.equal(app.sockets.stats().inFlight, 0, 'the counter is back at 0')
})

t.test('S15: disconnecting mid-request: no ack, nothing in flight; a POST side effect still happens', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const effects: string[] = []
  let responded = 0
  const app = await buildApp(t, {}, (app) => {
    app.post('/order', async () => { await gate; effects.push('ordered'); return { ok: true } })
    // onResponse runs after the answer was handed to the socket (or withheld): the end of the road for an ack
    app.addHook('onResponse', async () => { responded++ })
  })
  const socket = await connect(t, app)
  let acks = 0
  socket.emit('post', { method: 'post', url: '/order', data: { item: 1 } }, () => { acks++ })
  await waitFor(() => app.sockets.stats().inFlight > 0, 'a request in flight')
  socket.disconnect()
  await waitFor(() => app.sockets.stats().connections === 0, 'the socket to be gone')
  t.equal(app.sockets.stats().inFlight, 0, 'in flight drops to 0 at the disconnect')
  release()
  await waitFor(() => effects.length > 0, 'the route to run')
  await waitFor(() => responded > 0, 'its answer to reach onResponse')
  t.same(effects, ['ordered'], 'the route ran to completion: the client must retry with an idempotency key')
  t.equal(acks, 0, 'no ack reached the gone socket')
  t.equal(escaped, 0)
})

t.test('S16: a join after the socket left creates no room and no entry', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let joined: unknown = 'pending'
  const app = await buildApp(t, {}, (app) => {
    app.get('/late-join', async (request) => {
      await gate
      try { await app.sockets.join(request, 'late-room'); joined = 'resolved' } catch (err) { joined = (err as { code?: string }).code }
      return {}
    })
  })
  const socket = await connect(t, app)
  socket.emit('get', { method: 'get', url: '/late-join' }, () => {})
  await waitFor(() => app.sockets.stats().inFlight > 0, 'a request in flight')
  socket.disconnect()
  await waitFor(() => app.sockets.stats().connections === 0, 'the socket to be gone')
  release()
  await waitFor(() => joined !== 'pending', 'the join to settle')
  t.equal(joined, 'resolved', 'joining a gone socket is a no-op, not an error')
  const adapter = app.sockets.io.of('/').adapter
  t.equal(adapter.rooms.size, 0, 'no room')
  t.equal(adapter.sids.size, 0, 'no socket entry')
  t.same(app.sockets.stats(), { connections: 0, rooms: 0, inFlight: 0 })
})

t.test('S17: auth runs per virtual request: a logout over HTTP applies to the next socket request and disconnects the user', async (t) => {
  const sessions = new Map<string, string>([['sess-1', 'ada']]) // session id -> user
  const app = await buildApp(t, {
    // the user's sockets share a room, so a logout can reach them all
    onConnection: (socket: Socket) => {
      const sid = /sid=([^;]+)/.exec(socket.handshake.headers.cookie ?? '')?.[1]
      const user = sid === undefined ? undefined : sessions.get(sid)
      if (user !== undefined) socket.join(`user:${user}`)
    }
  }, async (app) => {
    await app.register(cookie)
    const userOf = (sid: string | undefined): string | undefined => sid === undefined ? undefined : sessions.get(sid)
    app.get('/me', async (request, reply) => {
      const user = userOf(request.cookies.sid)
      if (user === undefined) return reply.code(401).send({ error: 'not logged in' })
      return reply.setCookie('seen', '1').send({ user })
    })
    app.post('/logout', async (request) => {
      const user = userOf(request.cookies.sid)
      sessions.delete(request.cookies.sid ?? '')
      if (user !== undefined) app.sockets.io.in(`user:${user}`).disconnectSockets(true)
      return { ok: true }
    })
  })
  const socket = await connect(t, app, { extraHeaders: { cookie: 'sid=sess-1' } })
  const me = await request(socket, 'get', '/me')
  t.same(me.body, { user: 'ada' })
  t.equal(me.headers['set-cookie'], undefined, 'set-cookie never reaches the ack')
  const dropped = nextEvent<string>(socket, 'disconnect', 5000)
  const logout = await fetch(`${urlOf(app)}/logout`, { method: 'POST', headers: { cookie: 'sid=sess-1' } })
  t.equal(logout.status, 200)
  t.equal(await dropped, 'io server disconnect', 'the logged-out user is disconnected')
  const again = await connect(t, app, { extraHeaders: { cookie: 'sid=sess-1' } })
  t.equal((await request(again, 'get', '/me')).statusCode, 401, 'the revoked session is refused on the next request')
})

t.test('S18: no secret reaches the log; dropped-packet logs are rate limited per socket', async (t) => {
  const { lines, raw, logger } = logCapture()
  const app = await buildApp(t, { requestTimeout: 200 }, (app) => {
    app.get('/never', () => new Promise(() => {}))
  }, { logger })
  const socket = await connect(t, app, { extraHeaders: { authorization: 'Bearer hs-secret-1', cookie: 'sid=hs-secret-2' } })
  t.equal((await request(socket, 'get', '/never?token=q-secret-3', undefined, { authorization: 'Bearer rq-secret-4' })).statusCode, 504)
  const timeout = lines.find((l) => l.msg.includes('timed out'))
  t.match(timeout, { path: '/never', socketId: String }, 'the timeout line names the path, not the query')
  // 2000 malformed packets without an ack: each is dropped with at most a log line
  for (let i = 0; i < 2000; i++) socket.emit('get', { url: 'http://evil.example/?token=q-secret-5', headers: { authorization: 'Bearer rq-secret-6' } })
  t.equal((await request(socket, 'get', '/never?x=1')).statusCode, 504, 'the socket is still served after the flood')
  const drops = lines.filter((l) => l.msg.includes('socket request dropped'))
  t.ok(drops.length >= 10 && drops.length <= 20, `2000 drops logged in ${drops.length} lines`)
  t.equal(drops.at(-1)?.dropped, 1024, 'the last line carries the running count')
  const plugin = raw.filter((line) => line.includes('fastify-sockets')).join('\n')
  for (const secret of ['hs-secret-1', 'hs-secret-2', 'rq-secret-4', 'q-secret-5', 'rq-secret-6']) {
    t.notOk(raw.join('\n').includes(secret), `${secret} is not logged anywhere`)
  }
  // Fastify's own request line logs the url with its query, over HTTP and sockets alike (see README Security).
  t.notOk(plugin.includes('q-secret-3'), "the plugin's own lines never carry a query string")
})
