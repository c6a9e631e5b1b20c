// Zero-loss delivery: a stream of broadcasts from node B to a client on node A, across (1) a SIGKILL and
// restart of Redis (AOF on), (2) the client's transport closing under it for about a second, (3) node A
// restarting on the same port. On 'streams' with `recovery` every message arrives, in order, once; the same
// runs on 'pubsub' (which cannot recover) record what they lose, asserted only as counted.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client'
import fastifySockets, { type FastifySocketsOptions } from '../../lib/index.js'
import { RedisServer, freePort, redisSkipReason } from '../helpers/redis.js'
import { converged, waitFor, watchProcess } from '../helpers/cluster.js'

const skip = redisSkipReason()
const TOTAL = 400
type Adapter = 'pubsub' | 'streams'
type Disruption = 'redis' | 'transport' | 'node'

async function aofRedis (t: Test): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-sockets-aof-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  // later arguments win: AOF on (fsync every second: a SIGKILLed process loses nothing the kernel holds)
  return await RedisServer.start(t, { args: ['--appendonly', 'yes', '--dir', dir] })
}

async function node (t: Test, redis: RedisServer, adapter: Adapter, nodeId: string, port: number,
  extra: FastifySocketsOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySockets, {
    cluster: { redis: { url: redis.url }, adapter, nodeId, key: 'zero-loss' },
    ...(adapter === 'streams' ? { recovery: { maxDisconnectionDuration: 30_000 } } : {}),
    ...extra
  })
  app.get('/feed', async (request) => { await app.sockets.join(request, 'feed'); return { joined: true } })
  await app.listen({ port, host: '127.0.0.1' })
  return app
}

interface Outcome { received: number[], lost: number, duplicates: number, reordered: number, recovered: boolean[] }

function outcome (received: number[], recovered: boolean[]): Outcome {
  const unique = new Set(received)
  let reordered = 0
  for (let i = 1; i < received.length; i++) if ((received[i] as number) < (received[i - 1] as number)) reordered++
  return { received, lost: TOTAL - unique.size, duplicates: received.length - unique.size, reordered, recovered }
}

async function run (t: Test, adapter: Adapter, disruption: Disruption): Promise<Outcome> {
  const problems = watchProcess(t)
  const redis = await aofRedis(t)
  const portA = await freePort()
  let a = await node(t, redis, adapter, 'zl-a', portA)
  const b = await node(t, redis, adapter, 'zl-b', 0)
  await converged([a, b])

  // a client that, like an app, joins its room on every connection that did not recover its rooms
  const client: ClientSocket = ioClient(`http://127.0.0.1:${portA}`, {
    transports: ['websocket'], forceNew: true, reconnectionDelay: disruption === 'transport' ? 1000 : 50, reconnectionDelayMax: 1000, randomizationFactor: 0
  })
  t.teardown(() => { client.close() })
  const received: number[] = []
  const recovered: boolean[] = []
  let joined = 0
  client.on('seq', (n: number) => { received.push(n) })
  let done = false
  client.on('done', () => { done = true })
  client.on('connect', () => {
    recovered.push(client.recovered)
    if (!client.recovered) {
      void client.timeout(10_000).emitWithAck('get', { method: 'get', url: '/feed', headers: {} }).then(() => { joined++ }, () => {})
    }
  })
  await waitFor(() => joined === 1, 'the client to join the feed')
  const first = client.id

  // B sends TOTAL broadcasts, one per timer tick (a pace, not a wait); the disruption starts at a third
  let sent = 0
  let disrupted: Promise<void> | undefined
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      b.sockets.broadcast('feed', 'seq' as never, sent++ as never)
      if (sent === Math.floor(TOTAL / 3)) disrupted = disrupt()
      if (sent < TOTAL) setTimeout(tick, 2); else resolve()
    }
    tick()
  })
  async function disrupt (): Promise<void> {
    if (disruption === 'redis') {
      await redis.stop()
      await redis.start()
    } else if (disruption === 'transport') {
      // the engine's transport closes under the socket ('transport close'); the client reconnects after 1 s
      client.io.engine.close()
      await waitFor(() => client.connected, 'the client to reconnect', 20_000)
    } else {
      await a.close()
      a = await node(t, redis, adapter, 'zl-a', portA)
      await waitFor(() => client.connected, 'the client to reconnect to the restarted node', 20_000)
    }
  }
  await disrupted
  await converged([a, b])
  await waitFor(() => client.connected && (recovered.at(-1) === true || joined === recovered.length), 'the client back in its room', 20_000)
  // the end marker, sent until it arrives (on pub/sub one sent while a node still missed the other is lost too)
  await waitFor(() => { if (!done) b.sockets.broadcast('feed', 'done' as never, 0 as never); return done }, 'the end marker', 20_000)
  const result = outcome(received, recovered)
  t.comment(`${adapter}, ${disruption}: ${TOTAL} sent, ${result.lost} lost, ${result.duplicates} duplicated, ${result.reordered} out of order; ` +
    `connections: ${recovered.map((r) => r ? 'recovered' : 'fresh').join(', ')}`)
  if (adapter === 'streams') t.equal(client.id, first, 'the same socket id after recovery')
  t.same(problems, [], 'no unhandled rejection, no uncaught exception')
  return result
}

for (const disruption of ['redis', 'transport', 'node'] as const) {
  t.test(`streams: every broadcast arrives, in order, once, across ${disruption === 'redis' ? 'a Redis SIGKILL and restart' : disruption === 'transport' ? 'the client\'s transport closing for 1 s' : 'node A restarting on its port'}`, { skip }, async (t) => {
    const result = await run(t, 'streams', disruption)
    t.same(result.received, Array.from({ length: TOTAL }, (_, i) => i), 'complete, in order, no duplicates')
    if (disruption !== 'redis') t.same(result.recovered, [false, true], 'the reconnection recovered the session (rooms kept: no rejoin)')
  })
  t.test(`pubsub: what ${disruption} loses (counted, not asserted)`, { skip }, async (t) => {
    const result = await run(t, 'pubsub', disruption)
    t.ok(result.lost >= 0, `pubsub ${disruption}: lost ${result.lost} of ${TOTAL}`)
  })
}

t.test('streams: a broadcast sent just before a leave reaches the socket, from its own node and from another', { skip }, async (t) => {
  const redis = await aofRedis(t)
  const a = await node(t, redis, 'streams', 'order-a', 0)
  const b = await node(t, redis, 'streams', 'order-b', 0)
  await converged([a, b])
  const client: ClientSocket = ioClient(`http://127.0.0.1:${(a.server.address() as { port: number }).port}`, { transports: ['websocket'], forceNew: true })
  t.teardown(() => { client.close() })
  await waitFor(() => client.connected, 'the client')
  const id = client.id as string
  const heard: number[] = []
  client.on('seq', (n: number) => { heard.push(n) })
  const ROUNDS = 60
  for (let round = 0; round < ROUNDS; round++) {
    const from = round % 2 === 0 ? a : b
    await from.sockets.join(id, `order:${round}`)
    from.sockets.broadcast(`order:${round}`, 'seq' as never, round as never)
    await from.sockets.leave(id, `order:${round}`)
  }
  await waitFor(() => heard.length >= ROUNDS, 'every broadcast', 10_000).catch(() => {})
  t.same(heard, Array.from({ length: ROUNDS }, (_, i) => i), 'each broadcast arrived before the leave that followed it took effect')
})

t.test('streams: a node started after entries were written applies changes at once (entries before its reader count as read)', { skip }, async (t) => {
  const redis = await aofRedis(t)
  // timeout 60 s: a change waiting for an entry this node's reader never gets would wait 30 s, past the bound below
  const extra = { cluster: { redis: { url: redis.url }, adapter: 'streams', key: 'late', timeout: 60_000 } } as const
  const build = async (nodeId: string): Promise<FastifyInstance> => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifySockets, { cluster: { ...extra.cluster, nodeId } })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app
  }
  const a = await build('late-a')
  for (let i = 0; i < 5; i++) a.sockets.blast('early' as never, i as never)
  await a.sockets.join([], 'nothing').catch(() => {}) // a round trip of a's own: its entries are written
  const c = await build('late-c')
  await converged([a, c])
  const client: ClientSocket = ioClient(`http://127.0.0.1:${(c.server.address() as { port: number }).port}`, { transports: ['websocket'], forceNew: true })
  t.teardown(() => { client.close() })
  await waitFor(() => client.connected, 'the client on the late node')
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still waiting after 10 s'), 10_000) })
  t.equal(await Promise.race([a.sockets.join(client.id as string, 'late-room').then(() => 'joined'), bound]), 'joined', 'the join resolved')
  clearTimeout(timer)
})
