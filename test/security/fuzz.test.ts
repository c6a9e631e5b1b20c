// S12: a seeded generator sends 10,000+ arbitrary packets over every verb event (and some unknown events).
// The process stays up, every packet with an ack gets exactly one ack within the deadline, nothing escapes
// as an uncaught exception or unhandled rejection, and the heap comes back near its start after GC.
import t from 'tap'
import fc from 'fast-check'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Socket as ClientSocket } from 'socket.io-client'
import { buildApp, connect, request, delay, flush } from '../helpers/app.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261122)
const PACKETS = Number(process.env.FUZZ_PACKETS ?? 10_000)
const SOCKETS = 8
const CHUNK = 250
const REQUEST_TIMEOUT = 2000

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let escaped = 0
process.on('uncaughtException', (err) => { escaped++; console.error('uncaughtException', err) })
process.on('unhandledRejection', (err) => { escaped++; console.error('unhandledRejection', err) })

const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options']
const OTHER_EVENTS = ['GET', 'Post', 'message', 'request', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x'.repeat(300)]

function nested (depth: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { n: value } : [value]
  return value
}

const huge = fc.integer({ min: 1000, max: 30_000 }).chain((n) => fc.constantFrom('x', 'é', '\u0000', '🙂', '%', '\r\n').map((c) => c.repeat(Math.ceil(n / c.length))))
const poison = fc.constantFrom(
  JSON.parse('{"__proto__":{"polluted":1}}'),
  JSON.parse('{"a":{"__proto__":{"polluted":1}}}'),
  { constructor: { prototype: { polluted: 1 } } },
  JSON.parse('[{"__proto__":{"polluted":1}}]')
)
const value = fc.oneof(
  { weight: 6, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 120 }).map(nested) },
  { weight: 1, arbitrary: poison },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) }
)
const url = fc.oneof(
  fc.constantFrom('/echo', '/echo?x=1&x=2', '/echo/', '/', '//evil.example/echo', 'http://evil.example/echo', '\\echo', '/echo\\x',
    '/x/../echo', '/x/%2e%2e/echo', '/echo#frag', '/echo\u0000', '/echo\r\nx: y', '', ' /echo', '/%', '/%%%', '/echo?__proto__[polluted]=1',
    '/' + 'a'.repeat(3000), '/never', '/throws', '/big'),
  fc.webPath(),
  fc.string(),
  value
)
const headerName = fc.oneof(fc.constantFrom('host', 'origin', 'cookie', 'x-forwarded-for', 'content-length', 'transfer-encoding',
  'authorization', 'content-type', 'user-agent', '__proto__', 'constructor', 'bad name', 'x:y', ':authority', ''), fc.string({ maxLength: 20 }))
const headers = fc.oneof(fc.dictionary(headerName, value, { maxKeys: 8 }), value, huge.map((h) => ({ 'x-big': h })))
const wild = fc.record({
  method: fc.oneof(fc.constantFrom(...VERBS, 'GET', 'POST', 'FOO', ''), value),
  url,
  headers,
  data: value
}, { requiredKeys: [] })
// Close to what sails.io.js sends, so that a good share of packets reach the routes and their hooks.
const plausible = fc.record({
  url: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('/echo', '/echo?q=1', '/never', '/throws', '/big', '/nope') }, { weight: 1, arbitrary: url }),
  headers: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('x-a', 'accept', 'authorization', 'host', 'cookie', 'x-forwarded-for'), fc.string({ maxLength: 30 }), { maxKeys: 3 })),
  data: fc.oneof(fc.constant(undefined), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), value)
}, { requiredKeys: ['url'] })
const envelope = fc.oneof({ weight: 1, arbitrary: wild }, { weight: 3, arbitrary: plausible })
const args = fc.oneof(
  { weight: 10, arbitrary: envelope.map((e) => [e]) },
  { weight: 2, arbitrary: fc.tuple(envelope, value).map(([e, extra]) => [e, extra]) },
  { weight: 2, arbitrary: fc.array(value, { maxLength: 4 }) },
  { weight: 1, arbitrary: poison.map((p) => [p]) }
)
const packet = fc.record({
  event: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...VERBS) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_EVENTS) }),
  args,
  ack: fc.boolean()
})

const ROUTE_ERROR_LENGTH = String(JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'route error' }).length)

interface Tally { expected: number, callbacks: number, ackPackets: number, duplicates: number, statuses: Map<number, number>, badJwr: unknown[] }

/** Counts ACK packets at the wire, so a second ack for one id would be seen (the client ignores it). */
function watchAcks (socket: ClientSocket, tally: Tally): void {
  const seen = new Set<number>()
  socket.io.on('packet', (packet: { type: number, id?: number }) => {
    if (packet.type !== 3 && packet.type !== 6) return // ACK, BINARY_ACK
    tally.ackPackets++
    if (packet.id !== undefined && seen.has(packet.id)) tally.duplicates++
    if (packet.id !== undefined) seen.add(packet.id)
  })
}

function record (tally: Tally, jwr: unknown): void {
  tally.callbacks++
  const status = (jwr as { statusCode?: unknown })?.statusCode
  if (typeof status !== 'number' || status < 200 || status > 599) { tally.badJwr.push(jwr); return }
  tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1)
  // the only 500 a route of this app gives is its own thrown error; any other is a plugin failure
  // (a HEAD of it has no body and the length of that error)
  const { body, headers } = jwr as { body?: { message?: string }, headers?: Record<string, string> }
  const routeError = body !== undefined ? body.message === 'route error' : headers?.['content-length'] === ROUTE_ERROR_LENGTH
  if (status >= 500 && status !== 504 && !routeError) tally.badJwr.push(jwr)
}

t.test(`S12: ${PACKETS} arbitrary packets (seed ${SEED})`, async (t) => {
  // maxMessageSize above the biggest generated packet: the size limit has its own test (limits.test.ts)
  const app = await buildApp(t, { requestTimeout: REQUEST_TIMEOUT, maxInFlight: 1000, maxMessageSize: 1_000_000 }, (app) => {
    app.all('/echo', async (request) => ({ method: request.method, query: request.query, body: request.body ?? null }))
    app.get('/never', async () => await new Promise(() => {}))
    app.get('/throws', async () => { throw new Error('route error') })
    app.get('/big', async () => 'x'.repeat(200_000))
  })
  const sockets: ClientSocket[] = []
  const reasons: string[] = []
  app.sockets.io.on('connection', (socket) => socket.on('disconnect', (reason) => { reasons.push(reason) }))
  const tally: Tally = { expected: 0, callbacks: 0, ackPackets: 0, duplicates: 0, statuses: new Map(), badJwr: [] }
  for (let i = 0; i < SOCKETS; i++) {
    const socket = await connect(t, app)
    watchAcks(socket, tally)
    sockets.push(socket)
  }

  // warm up every path once, then take the baseline
  for (const socket of sockets) await request(socket, 'post', '/echo', { warm: true })
  tally.ackPackets = 0
  gc(); gc()
  const heapBefore = process.memoryUsage().heapUsed

  let sent = 0
  let unknownEvents = 0
  const started = Date.now()
  for (let chunk = 0; sent < PACKETS; chunk++) {
    const packets = fc.sample(packet, { seed: SEED + chunk, numRuns: Math.min(CHUNK, PACKETS - sent) })
    for (const [i, p] of packets.entries()) {
      const socket = sockets[i % SOCKETS] as ClientSocket
      const isVerb = VERBS.includes(p.event)
      if (!isVerb) unknownEvents++
      if (p.ack && isVerb) {
        tally.expected++
        socket.emit(p.event, ...p.args, (jwr: unknown) => record(tally, jwr))
      } else {
        socket.emit(p.event, ...p.args)
      }
    }
    sent += packets.length
    // let the server breathe between chunks, as real clients would not all fire at once
    while (tally.callbacks < tally.expected - 400 && Date.now() - started < 60_000) await delay(5)
  }
  const deadline = Date.now() + REQUEST_TIMEOUT + 5000
  while (tally.callbacks < tally.expected && Date.now() < deadline) await delay(20)
  while (app.sockets.stats().inFlight > 0 && Date.now() < deadline + REQUEST_TIMEOUT) await delay(20)
  // a duplicate ack already sent is on the wire before this marker, on every socket
  await flush(app, sockets)

  t.ok(sent >= 10_000 || PACKETS < 10_000, `sent ${sent} packets (${unknownEvents} on unknown events)`)
  t.equal(tally.callbacks, tally.expected, `every one of the ${tally.expected} acked packets got its ack within the deadline`)
  t.equal(tally.ackPackets, tally.expected, 'no ack without a request for it, none twice')
  t.equal(tally.duplicates, 0, 'no ack id acked twice')
  t.same(tally.badJwr, [], 'every ack is a JWR with an HTTP status, and no 5xx comes from the plugin')
  t.equal(app.sockets.stats().inFlight, 0, 'nothing left in flight')
  t.ok((tally.statuses.get(200) ?? 0) > tally.expected / 10, 'a good share reached a route and succeeded')
  t.ok(tally.statuses.has(504), 'some hit the deadline')
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(tally.statuses))}`)
  t.equal(escaped, 0, 'no uncaught exception or unhandled rejection')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.same(reasons, [], 'no socket was disconnected')
  t.same((await request(sockets[0] as ClientSocket, 'get', '/echo')).statusCode, 200, 'the server still answers')

  gc(); gc()
  const heapAfter = process.memoryUsage().heapUsed
  t.comment(`heap before ${(heapBefore / 1e6).toFixed(1)} MB, after ${(heapAfter / 1e6).toFixed(1)} MB`)
  t.ok(heapAfter <= heapBefore * 1.1, `heap back within 10 % of its start after GC (${(heapBefore / 1e6).toFixed(1)} -> ${(heapAfter / 1e6).toFixed(1)} MB)`)
})
