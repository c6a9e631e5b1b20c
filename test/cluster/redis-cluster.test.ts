// The sharded adapter and the membership bus over a real 3-master Redis Cluster that the test starts
// (redis-server --cluster-enabled yes three times, joined by redis-cli --cluster create): cross-node
// delivery and membership with rooms on every shard, the join race at 0 misses, and a master killed.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { connect, nextEvent } from '../helpers/app.js'
import { redisClusterSkipReason } from '../helpers/redis.js'
import { RedisCluster } from '../helpers/redis-cluster.js'
import { converged, race, shardedNode, waitFor, watchProcess } from '../helpers/cluster.js'

const skip = redisClusterSkipReason()
const KEY = 'fastify-sockets'
const ROUNDS = 200
const HEARTBEAT = { heartbeatInterval: 200, heartbeatTimeout: 1000, timeout: 3000 }

// A node on its own createCluster() clients (the way a Redis Cluster deployment passes them).
async function clusterNode (t: Test, redis: RedisCluster, nodeId: string): Promise<FastifyInstance> {
  return await shardedNode(t, [...redis.rootNodes], { nodeId, ...HEARTBEAT })
}

// Which of `rooms` reach the socket: a broadcast from `from` to each, waited for up to `ms`.
async function reached (from: FastifyInstance, client: ClientSocket, rooms: string[], ms = 2000): Promise<boolean[]> {
  return await Promise.all(rooms.map(async (room, i) => {
    const heard = nextEvent(client, `to-${room}`, ms).then(() => true, () => false)
    from.sockets.broadcast(room, `to-${room}`, i)
    return await heard
  }))
}

// A room name whose channel hashes to master `i`.
async function roomOn (redis: RedisCluster, i: number, prefix: string): Promise<string> {
  for (let n = 0; ; n++) if (await redis.masterOf(`${KEY}#/#${prefix}:${n}#`) === i) return `${prefix}:${n}`
}

t.test('sharded over a real 3-master Redis Cluster', { skip }, async (t) => {
  const problems = watchProcess(t)
  const started = Date.now()
  const redis = await RedisCluster.start(t)
  t.comment(`3-master Redis Cluster up in ${Date.now() - started} ms`)
  const a = await clusterNode(t, redis, 'rc-a')
  const b = await clusterNode(t, redis, 'rc-b')
  await converged([a, b])
  const [ca, cb] = [await connect(t, a), await connect(t, b)]
  const [ida, idb] = [ca.id as string, cb.id as string]
  const rooms = Array.from({ length: 12 }, (_, i) => `shard-room:${i}`)
  const masters = await Promise.all(rooms.map(async (room) => await redis.masterOf(`${KEY}#/#${room}#`)))
  const control = await redis.masterOf(`${KEY}#ctl`)
  t.same(new Set(masters).size, 3, `the rooms' channels are spread over the 3 masters (${masters.join(',')}); the control channel is on ${control}`)

  await t.test('cross-node delivery and membership, rooms on every shard', async (t) => {
    await a.sockets.join(idb, rooms)
    t.same((await a.sockets.rooms(idb)).sort(), [...rooms].sort(), 'a sees b\'s socket in every room')
    t.same(await reached(a, cb, rooms), rooms.map(() => true), 'a broadcast from a to each room reaches the socket on b')
    await b.sockets.addRoomMembersToRooms(idb, 'together')
    await b.sockets.join(ida, 'together')
    t.same((await a.sockets.members('together')).sort(), [ida, idb].sort(), 'members() gathers both nodes')
    const direct = nextEvent(cb, 'direct')
    a.sockets.emit(idb, 'direct', 1)
    t.equal(await direct, 1, 'emit to a socket held by the other node')
  })

  await t.test(`the join race: ${ROUNDS} remote joins, each followed at once by a broadcast`, async (t) => {
    const joined = await race(ROUNDS, a, b, cb, 'rc-join', (room) => a.sockets.join(idb, room), true)
    t.same(joined, { fromA: 0, fromB: 0 }, 'await join(remoteId): zero misses')
    const added = await race(ROUNDS, a, b, cb, 'rc-add', (room) => a.sockets.addRoomMembersToRooms(idb, room), true)
    t.same(added, { fromA: 0, fromB: 0 }, 'await addRoomMembersToRooms(remoteId): zero misses')
    const local = await race(ROUNDS, a, b, cb, 'rc-local', (room) => b.sockets.join(idb, room), true)
    t.same(local, { fromA: 0, fromB: 0 }, 'await join() on the holding node: zero misses')
  })

  await t.test('a master killed that does not hold the control channel', async (t) => {
    const victim = [0, 1, 2].find((i) => i !== control) as number
    const onVictim = rooms.filter((_, i) => masters[i] === victim)
    const elsewhere = rooms.filter((_, i) => masters[i] !== victim)
    await redis.kill(victim)
    t.same(await reached(a, cb, elsewhere), elsewhere.map(() => true), 'the rooms on the live masters still deliver')
    // a measurement, not a proof: what did not arrive within 1 s
    const during = await reached(a, cb, onVictim, 1000)
    t.comment(`master ${victim} killed: ${during.filter((heard) => !heard).length} of the ${onVictim.length} rooms on it heard nothing within 1 s; ` +
      `${elsewhere.length} rooms on the other masters delivered`)
    t.equal(a.sockets.cluster?.ready, true, 'the bus, on another master, stays ready')
    await a.sockets.join(idb, elsewhere[0] as string)
    t.pass('membership works on')
    const newRoom = await roomOn(redis, victim, 'new-on-dead')
    const startedJoin = Date.now()
    const joinOnDead = await a.sockets.join(idb, newRoom).then(() => 'resolved', (err: { code: string }) => err.code)
    t.comment(`a join to a new room on the dead master: ${joinOnDead} after ${Date.now() - startedJoin} ms`)
    await a.sockets.join(idb, elsewhere[1] as string)
    t.pass('a join to a room on a live master is not held up by the subscription stuck on the dead one')
    await redis.restart(victim)
    await waitFor(async () => (await reached(a, cb, onVictim, 500)).every(Boolean), `the rooms on master ${victim} to deliver again`)
    t.same(await reached(a, cb, rooms), rooms.map(() => true), 'every room delivers once the master is back')
  })

  await t.test('the master holding the control channel killed: not ready, calls reject, then it heals', async (t) => {
    await redis.kill(control)
    await waitFor(() => a.sockets.cluster?.ready === false && b.sockets.cluster?.ready === false, 'both nodes to know')
    t.match(a.sockets.cluster?.status(), { ready: false, nodes: ['rc-b'] }, `a: ${a.sockets.cluster?.status().reason ?? ''}`)
    await t.rejects(a.sockets.join(idb, 'during-outage'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE', nodes: ['rc-b'] })
    await t.rejects(b.sockets.members('together'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' })
    await redis.restart(control)
    await converged([a, b])
    await a.sockets.join(idb, 'during-outage')
    t.ok((await b.sockets.rooms(idb)).includes('during-outage'), 'the retried join converged')
    t.same(await reached(a, cb, rooms), rooms.map(() => true), 'every room delivers')
  })
  t.same(problems, [], 'no unhandled rejection, no uncaught exception')
})
