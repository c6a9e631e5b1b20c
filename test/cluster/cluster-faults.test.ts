// Redis going away (SIGKILL by pid) and coming back on the same port: no crash, no unhandled rejection,
// local delivery throughout, cross-node delivery back by itself, membership calls failing fast and coded.
import t, { type Test } from 'tap'
import type { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import { createClient } from 'redis'
import fastifySockets from '../../lib/index.js'
import { buildApp, connect, nextEvent, request } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { converged, logSink, waitFor, watchProcess } from '../helpers/cluster.js'

const skip = redisSkipReason()

async function node (t: Test, redis: RedisServer, nodeId: string, stream?: Writable, extra: object = {}): Promise<FastifyInstance> {
  return await buildApp(t, { cluster: { redis: { url: redis.url }, nodeId, timeout: 2000, ...extra } },
    (app) => { app.get('/ping', async () => ({ pong: true })) },
    stream === undefined ? {} : { logger: { level: 'info', stream } })
}

t.test('SIGKILL Redis during a stream of broadcasts, then restart it on the same port', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const logs = logSink()
  const a = await node(t, redis, 'fault-a', logs.stream)
  const b = await node(t, redis, 'fault-b')
  await converged([a, b])
  const ca = await connect(t, a)
  const cb = await connect(t, b)
  await a.sockets.join([ca.id as string, cb.id as string], 'stream')

  const onA: number[] = []
  const onB: number[] = []
  ca.on('seq', (n: number) => onA.push(n))
  cb.on('seq', (n: number) => onB.push(n))
  let seq = 0
  const sender = setInterval(() => { a.sockets.broadcast('stream', 'seq', seq++) }, 10)
  t.teardown(() => clearInterval(sender))

  await waitFor(() => onB.length >= 20, 'cross-node delivery before the outage')
  await redis.stop()
  const killedAt = seq
  await waitFor(() => a.sockets.cluster?.ready === false && b.sockets.cluster?.ready === false, 'both nodes to report not ready')
  t.match(a.sockets.cluster?.status(), { ready: false, nodeId: 'fault-a' }, 'health says not ready')

  // Membership during the outage: applied locally, rejected at once with the coded error (deadline 2000 ms).
  const started = Date.now()
  await t.rejects(a.sockets.addRoomMembersToRooms('stream', 'during-outage'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE', statusCode: 503 })
  await t.rejects(a.sockets.join(cb.id as string, 'during-outage'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' })
  await t.rejects(b.sockets.members('stream'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' })
  // UNAVAILABLE, not TIMEOUT: they failed at once rather than at their deadline
  t.comment(`rejected after ${Date.now() - started} ms (deadline 2000 ms)`)
  t.same(await a.sockets.rooms(ca.id as string), ['stream', 'during-outage'], 'the local part was applied')

  // Local delivery goes on; HTTP and virtual requests too.
  const localMark = seq
  await waitFor(() => onA.some((n) => n > localMark + 20), 'local delivery during the outage')
  t.equal((await a.inject('/ping')).statusCode, 200, 'HTTP is served')
  t.same((await request(ca, 'get', '/ping')).body, { pong: true }, 'virtual requests are served')
  await new Promise((resolve) => setTimeout(resolve, 1000))

  const restartedAt = seq
  await redis.start()
  const restartedTime = Date.now()
  await waitFor(() => onB.some((n) => n > restartedAt), 'cross-node delivery after the restart')
  t.comment(`cross-node delivery resumed ${Date.now() - restartedTime} ms after redis-server answered PING`)
  await converged([a, b])
  const resumedAt = seq
  await waitFor(() => onB.some((n) => n > resumedAt + 20), 'steady cross-node delivery')
  clearInterval(sender)

  const lostOnB = new Set<number>()
  for (let n = 0; n < resumedAt; n++) if (!onB.includes(n)) lostOnB.add(n)
  // lostOnB holds only broadcasts sent before the nodes reconverged (resumedAt): nothing before the kill may be missing
  const outside = [...lostOnB].filter((n) => n < killedAt - 5)
  t.comment(`outage of ~${restartedAt - killedAt} broadcasts: B lost ${lostOnB.size}; A (local) lost ${resumedAt - new Set(onA.filter((n) => n < resumedAt)).size}`)
  t.same(outside, [], 'what B lost was sent while Redis was down or the nodes were reconnecting')
  t.same(onA.slice(0, resumedAt), [...Array(resumedAt).keys()], 'A got every broadcast, in order')
  t.same(onB, [...onB].sort((x, y) => x - y), 'B got them in order, without duplicates')
  t.equal(new Set(onB).size, onB.length)

  // Membership works again, across nodes.
  await a.sockets.addRoomMembersToRooms(cb.id as string, 'after-outage')
  t.same(await a.sockets.rooms(cb.id as string), ['stream', 'after-outage'])
  t.ok((a.sockets.cluster?.status().dropped ?? 0) > 0, 'dropped cross-node publishes are counted')

  const errors = logs.lines.filter((line) => line.level >= 50)
  t.ok(errors.length > 0 && errors.length < 20, `Redis errors logged, rate-limited (${errors.length} error lines)`)
  t.ok(logs.lines.some((line) => /not ready: Redis is not connected/.test(line.msg)), 'the loss is logged')
  t.ok(logs.lines.some((line) => /Redis connected/.test(line.msg)), 'the recovery is logged')
  t.same(problems, [], 'no unhandled rejection, no uncaught exception')
})

t.test('Redis down at boot: the node starts not ready, serves, and joins the cluster when Redis comes', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  await redis.stop()
  const a = await node(t, redis, 'boot-a', undefined, { readyTimeout: 200 })
  t.equal(a.sockets.cluster?.ready, false, 'not ready')
  t.equal((await a.inject('/ping')).statusCode, 200, 'HTTP is served')
  const ca = await connect(t, a)
  const local = nextEvent(ca, 'local')
  await a.sockets.join(ca.id as string, 'here')
  a.sockets.broadcast('here', 'local', 1)
  t.equal(await local, 1, 'local rooms and delivery work')

  await redis.start()
  const b = await node(t, redis, 'boot-b')
  await converged([a, b])
  const cb = await connect(t, b)
  await a.sockets.join(cb.id as string, 'here')
  const remote = nextEvent(cb, 'remote')
  a.sockets.broadcast('here', 'remote', 2)
  t.equal(await remote, 2, 'cross-node delivery once Redis is up')
  t.same(problems, [])
})

t.test('close() with Redis gone does not hang, and a dead node is not waited for', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const a = await node(t, redis, 'close-a')
  const b = await node(t, redis, 'close-b')
  const sa = await node(t, redis, 'close-sharded-a', undefined, { adapter: 'sharded' })
  const sb = await node(t, redis, 'close-sharded-b', undefined, { adapter: 'sharded' })
  await converged([a, b])
  await converged([sa, sb])
  const clients = [await connect(t, a), await connect(t, sa)]
  await a.sockets.join(clients[0]?.id as string, 'a-room')
  await sa.sockets.join(clients[1]?.id as string, 'sharded-room')
  await redis.stop()
  await waitFor(() => a.sockets.cluster?.ready === false && sa.sockets.cluster?.ready === false, 'the nodes to notice')
  await Promise.all([a.close(), b.close(), sa.close(), sb.close()])
  t.pass('every node closed')
  t.same(problems, [])
})

t.test('sharded adapter: cross-node delivery and membership resume after a Redis restart', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const a = await node(t, redis, 'shard-a', undefined, { adapter: 'sharded' })
  const b = await node(t, redis, 'shard-b', undefined, { adapter: 'sharded' })
  await converged([a, b])
  const cb = await connect(t, b)
  await a.sockets.join(cb.id as string, 'dyn-room')
  const seen: number[] = []
  cb.on('tick', (n: number) => seen.push(n))
  let n = 0
  const sender = setInterval(() => { a.sockets.broadcast('dyn-room', 'tick', n++) }, 10)
  t.teardown(() => clearInterval(sender))
  await waitFor(() => seen.length > 10, 'delivery before the outage')
  await redis.stop()
  await waitFor(() => a.sockets.cluster?.ready === false, 'a to notice')
  await t.rejects(a.sockets.join(cb.id as string, 'x'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' })
  await redis.start()
  const restartedAt = n
  await waitFor(() => seen.some((m) => m > restartedAt), 'delivery after the restart')
  await converged([a, b])
  await a.sockets.join(cb.id as string, 'after')
  t.same(await a.sockets.rooms(cb.id as string), ['dyn-room', 'after'])
  clearInterval(sender)
  t.same(problems, [])
})

t.test('a call waiting on a node fails at once when Redis goes away, not at its deadline', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const a = await node(t, redis, 'wait-a', undefined, { timeout: 30_000, heartbeatTimeout: 30_000 })
  // A peer that goes silent without a goodbye (its clients cut), so a's call keeps waiting for it.
  const pubClient = createClient({ url: redis.url })
  const subClient = pubClient.duplicate()
  pubClient.on('error', () => {})
  subClient.on('error', () => {})
  await Promise.all([pubClient.connect(), subClient.connect()])
  const silent = Fastify()
  t.teardown(() => silent.close())
  await silent.register(fastifySockets, { cluster: { redis: { pubClient, subClient }, nodeId: 'wait-silent' } })
  await converged([a, silent])
  // The test's own client on the control channel: it sees a's request go out, then a's next heartbeat.
  const watcher = createClient({ url: redis.url })
  watcher.on('error', () => {})
  await watcher.connect()
  t.teardown(() => { if (watcher.isOpen) watcher.destroy() })
  const heard: Array<{ type?: string, node?: string }> = []
  await watcher.subscribe('fastify-sockets#ctl', (message) => { heard.push(JSON.parse(message)) })
  pubClient.destroy()
  subClient.destroy()
  const pending = a.sockets.addRoomMembersToRooms('r1', 'r2')
  let settled = false
  pending.catch(() => {}).finally(() => { settled = true })
  const fromA = (type: string, after = 0): number => heard.findIndex((m, i) => i >= after && m.type === type && m.node === 'wait-a')
  await waitFor(() => fromA('op') >= 0, "a's request on the control channel")
  await waitFor(() => fromA('heartbeat', fromA('op')) >= 0, "a's next heartbeat after it")
  t.equal(settled, false, 'waiting for the silent node')
  watcher.destroy()
  await redis.stop()
  await t.rejects(pending, { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE', nodes: ['wait-silent'], message: /Redis is not connected/ })
  t.same(problems, [])
})

t.test('changes addressed to sockets of this node need no Redis', { skip }, async (t) => {
  const redis = await RedisServer.start(t)
  const a = await node(t, redis, 'local-a')
  const ca = await connect(t, a)
  const id = ca.id as string
  await redis.stop()
  await waitFor(() => a.sockets.cluster?.ready === false, 'a to notice')
  await a.sockets.addRoomMembersToRooms(id, 'solo')
  await a.sockets.join(id, 'duo')
  t.same(await a.sockets.rooms(id), ['solo', 'duo'])
  t.same(await a.sockets.members(id), [id])
  await a.sockets.leaveAll(id)
  t.same(await a.sockets.rooms(id), [])
})
