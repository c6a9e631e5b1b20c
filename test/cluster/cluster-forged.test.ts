// Forged or malformed messages published on the socket.io adapter's own channels (not the plugin's bus):
// none may crash a node or silently stop its delivery. Each is dropped, counted, logged (thinned), and
// cross-node delivery goes on. Without the guard, 3 bytes on the broadcast channel wedge that node's
// subscriber (ready stays true, cross-node delivery drops to 0) and a msgpack nil on the request channel
// is an unhandled rejection in every node.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { createClient } from 'redis'
import { buildApp, connect, nextEvent } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import type { Writable } from 'node:stream'
import { converged, logSink, waitFor, watchProcess } from '../helpers/cluster.js'

const skip = redisSkipReason()
const KEY = 'forged'
const DROPPED = /message on the adapter's channels dropped/

type Payload = string | Buffer
const hex = (value: string): Buffer => Buffer.from(value, 'hex')

// Messages that decode to nothing the adapter expects, per channel.
const PUBSUB: Array<[channel: string, payload: Payload, what: string]> = [
  [`${KEY}#/#`, hex('010203'), '3 bytes on the broadcast channel'],
  [`${KEY}#/#room#`, hex('010203'), '3 bytes on a room channel'],
  [`${KEY}#/#`, hex('c0'), 'msgpack nil on the broadcast channel'],
  [`${KEY}#/#`, hex('93a17881a36e7370a12fc0'), 'msgpack [uid, { nsp: "/" }, nil]: no options'],
  [`${KEY}-request#/#`, hex('c0'), 'msgpack nil on the request channel'],
  [`${KEY}-request#/#`, '{"type":5}', 'fetchSockets request without options'],
  [`${KEY}-request#/#`, '{"type":6,"data":5}', 'server-side emit whose data is not a list'],
  [`${KEY}-request#/#`, '{"type":6,"data":["connection",{}]}', "server-side emit of 'connection'"],
  [`${KEY}-request#/#`, '{"type":7,"requestId":"x"}', 'broadcast-with-ack request without a packet'],
  [`${KEY}-response#/#`, hex('c0'), 'msgpack nil on the response channel'],
  [`${KEY}-response#/#`, '{', 'a broken JSON response']
]
const SHARDED: Array<[channel: string, payload: Payload, what: string]> = [
  [`${KEY}#/#`, hex('c0'), 'msgpack nil on the main channel'],
  [`${KEY}#/#`, 'null', 'JSON null on the main channel'],
  [`${KEY}#/#`, hex('010203'), '3 bytes on the main channel'],
  [`${KEY}#/#`, '{"uid":"x","nsp":"/","type":3}', 'a broadcast without data'],
  [`${KEY}#/#`, '{"uid":"x","nsp":"/","type":7,"data":{}}', 'a fetchSockets request without options'],
  [`${KEY}#/#`, '{"uid":"x","nsp":"/","type":9,"data":{"packet":5}}', 'a server-side emit whose packet is not a list'],
  [`${KEY}#/#`, '{"uid":"x","nsp":"/","type":9,"data":{"packet":["connection",{}]}}', "a server-side emit of 'connection'"],
  [`${KEY}#/#room#`, hex('c0'), 'msgpack nil on a room channel']
]

// Two nodes; b logs (warn and up) to `stream`.
async function pair (t: Test, redis: RedisServer, sharded: boolean | 'streams', stream: Writable): Promise<[FastifyInstance, FastifyInstance]> {
  const adapter = sharded === 'streams' ? 'streams' : sharded ? 'sharded' : 'pubsub'
  const node = async (nodeId: string, logged: boolean): Promise<FastifyInstance> =>
    await buildApp(t, { cluster: { redis: { url: redis.url }, nodeId, key: KEY, adapter } }, (app) => {
      // an app's own 'connection' listener, written as apps write them: a forged event must never reach it
      app.sockets.io.on('connection', async (socket) => { await Promise.resolve(socket.handshake.auth) })
    }, logged ? { logger: { level: 'warn', stream } } : {})
  const a = await node(`${adapter}-forged-a`, false)
  const b = await node(`${adapter}-forged-b`, true)
  await converged([a, b])
  return [a, b]
}

// A broadcast from each node to a room with a member on each node reaches both: delivery goes on.
/** Two nodes delivering to each other's clients, and an intruder with its own connection to their Redis. */
async function forgedScene (t: Test, sharded: boolean | 'streams') {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const logs = logSink()
  const [a, b] = await pair(t, redis, sharded, logs.stream)
  const [ca, cb] = [await connect(t, a), await connect(t, b)]
  await a.sockets.join([ca.id as string, cb.id as string], 'room')
  const intruder = createClient({ url: redis.url })
  intruder.on('error', () => {})
  await intruder.connect()
  t.teardown(() => intruder.destroy())
  t.ok(await deliveredBothWays(a, b, ca, cb, 0), 'delivery before')
  return { problems, logs, a, b, ca, cb, intruder }
}

async function deliveredBothWays (a: FastifyInstance, b: FastifyInstance, ca: ClientSocket, cb: ClientSocket, n: number): Promise<boolean> {
  const heard = [nextEvent<number>(cb, 'from-a', 3000), nextEvent<number>(ca, 'from-b', 3000)]
  a.sockets.broadcast('room', 'from-a', n)
  b.sockets.broadcast('room', 'from-b', n)
  const [fromA, fromB] = await Promise.all(heard.map(async (p) => await p.catch(() => undefined)))
  return fromA === n && fromB === n
}

for (const [mode, messages] of [['pub/sub', PUBSUB], ['sharded', SHARDED]] as const) {
  t.test(`${mode}: malformed and forged messages on the adapter's channels`, { skip }, async (t) => {
    const { problems, logs, a, b, ca, cb, intruder } = await forgedScene(t, mode === 'sharded')

    let n = 0
    const malformed = (): number => b.sockets.cluster?.status().malformed ?? 0
    for (const [channel, payload, what] of messages) {
      const before = malformed()
      const receivers = mode === 'sharded' ? await intruder.sPublish(channel, payload) : await intruder.publish(channel, payload)
      t.ok(Number(receivers) > 0, `${what}: published to ${Number(receivers)} subscriber(s)`)
      // b handled the message before the broadcast published after it (one subscriber connection, in order)
      t.ok(await deliveredBothWays(a, b, ca, cb, ++n), `${what}: both nodes still deliver`)
      t.equal(malformed(), before + 1, `${what}: dropped and counted once`)
    }
    // The per-node channels (sharded: each node's response channel) take garbage as well.
    const own = mode === 'sharded'
      ? (await intruder.sendCommand(['PUBSUB', 'SHARDCHANNELS', `${KEY}#/#*`]) as string[]).filter((channel) => /^forged#\/#[0-9a-f]{16}#$/.test(channel))
      : (await intruder.sendCommand(['PUBSUB', 'CHANNELS', `${KEY}-response#/#*#`]) as string[])
    t.equal(own.length, 2, `each node's own channel: ${own.join(', ')}`)
    for (const channel of own) {
      if (mode === 'sharded') await intruder.sPublish(channel, hex('c0'))
      else await intruder.publish(channel, hex('c0'))
    }
    t.ok(await deliveredBothWays(a, b, ca, cb, ++n), "garbage on each node's own channel: both nodes still deliver")

    // A flood is logged thinned: the first ten, then powers of two.
    for (let i = 0; i < 200; i++) {
      if (mode === 'sharded') await intruder.sPublish(`${KEY}#/#`, hex('c0'))
      else await intruder.publish(`${KEY}-request#/#`, hex('c0'))
    }
    t.ok(await deliveredBothWays(a, b, ca, cb, ++n), 'after a flood of 200: both nodes still deliver')

    t.same(problems, [], 'no crash: no unhandled rejection, no uncaught exception')
    t.equal(a.sockets.cluster?.ready, true)
    t.equal(b.sockets.cluster?.ready, true)
    const logged = logs.lines.filter((line) => DROPPED.test(line.msg))
    t.equal(malformed(), messages.length + 1 + 200, `b counted ${malformed()} dropped messages`)
    t.ok(logged.length > 10 && logged.length < 25, `b logged ${logged.length} lines for them (thinned)`)
    t.match(logged[0], { channel: String, bytes: Number, head: String, reason: String, dropped: 1 }, 'a line says what was dropped and why')
    t.comment(`${mode}: ${messages.length + 1} kinds of bad message and a flood of 200: ${malformed()} dropped on b, ${logged.length} log lines, delivery intact`)
    for (const line of logged.slice(0, messages.length)) t.comment(`  ${String(line.channel)} ${String(line.head)}: ${String(line.reason)}`)
  })
}

// The streams adapter: entries of the wrong shape in the stream (which every node reads, in order) and
// garbage on its pub/sub channel (requests, server-side emits).
const STREAM_ENTRIES: Array<[fields: Record<string, string>, what: string]> = [
  [{ nsp: '/', type: '3', data: 'not base64 msgpack' }, 'an entry whose data does not decode'],
  [{ nsp: '/', type: '3', data: '{}' }, 'a broadcast entry without a packet'],
  [{ nsp: '/', type: '3', data: '{"packet":{"type":2,"data":["x"]}}' }, 'a broadcast entry without options'],
  [{ uid: 'x', nsp: '/', type: '9', data: '{"packet":["connection",{}]}' }, "a server-side emit of 'connection' in the stream"]
]

t.test('streams: malformed and forged entries in the stream and messages on its channel', { skip }, async (t) => {
  const { problems, a, b, ca, cb, intruder } = await forgedScene(t, 'streams')
  let n = 0
  const malformed = (): number => b.sockets.cluster?.status().malformed ?? 0
  for (const [fields, what] of STREAM_ENTRIES) {
    const before = malformed()
    await intruder.xAdd(`${KEY}#stream`, '*', fields)
    // b read the entry before the broadcasts written after it (one stream, read in order)
    t.ok(await deliveredBothWays(a, b, ca, cb, ++n), `${what}: both nodes still deliver`)
    t.equal(malformed(), before + 1, `${what}: dropped and counted once`)
  }
  const before = malformed()
  t.ok(Number(await intruder.publish(`${KEY}#/#`, hex('c0'))) === 2, 'msgpack nil on the pub/sub channel, to both nodes')
  await intruder.publish(`${KEY}#/#`, hex('010203'))
  await waitFor(() => malformed() === before + 1, 'the nil to be counted')
  t.ok(await deliveredBothWays(a, b, ca, cb, ++n), 'garbage on the pub/sub channel: both nodes still deliver')
  t.same(problems, [], 'no crash: no unhandled rejection, no uncaught exception')
  t.equal(b.sockets.cluster?.ready, true)
  t.comment(`streams: ${STREAM_ENTRIES.length} bad entries and 2 bad messages: ${malformed()} dropped on b (3 undecodable bytes on pub/sub are dropped by the adapter itself, uncounted)`)
})
