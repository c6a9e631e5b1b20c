// A stalled Redis (SIGSTOP of the test's own redis-server: TCP stays up, nothing is answered) for longer
// than heartbeatTimeout, with cluster-wide operations in flight and started during the stall: no node
// forgets its peers, nothing resolves unapplied, every node says it is not ready and why, and once
// Redis answers again the nodes are ready and the rejected operations, retried, converge.
import t, { type Test } from 'tap'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { connect, nextEvent } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { buildNode, converged, waitFor, watchProcess } from '../helpers/cluster.js'

const skip = redisSkipReason()
const HEARTBEAT = { heartbeatInterval: 200, heartbeatTimeout: 1000, timeout: 8000 }

interface Outcome { name: string, settled: boolean, ok: boolean, code?: string, nodes?: readonly string[], ms?: number, at?: number }

// Records how and when (ms after `origin`) each operation settles.
function tracker (origin: () => number): { track: (name: string, op: Promise<unknown>) => Outcome, all: Outcome[] } {
  const all: Outcome[] = []
  return {
    all,
    track (name, op) {
      const outcome: Outcome = { name, settled: false, ok: false }
      all.push(outcome)
      op.then(() => { Object.assign(outcome, { settled: true, ok: true, ms: Math.round(performance.now() - origin()), at: Date.now() }) },
        (err: { code?: string, nodes?: readonly string[] }) => {
          Object.assign(outcome, { settled: true, ok: false, code: err.code, nodes: err.nodes, ms: Math.round(performance.now() - origin()), at: Date.now() })
        })
      return outcome
    }
  }
}

function describe (outcome: Outcome): string {
  return `${outcome.name}: ${outcome.ok ? 'resolved' : `${outcome.code ?? '?'} [${(outcome.nodes ?? []).join(',')}]`} at ${outcome.ms ?? '?'} ms`
}

async function nodes (t: Test, redis: RedisServer, sharded: boolean): Promise<[FastifyInstance, FastifyInstance]> {
  const a = await buildNode(t, redis, { nodeId: 'stall-a', adapter: sharded ? 'sharded' : 'pubsub', ...HEARTBEAT })
  const b = await buildNode(t, redis, { nodeId: 'stall-b', adapter: sharded ? 'sharded' : 'pubsub', ...HEARTBEAT })
  await converged([a, b])
  return [a, b]
}

t.test('SIGSTOP Redis past heartbeatTimeout with operations in flight and started during the stall', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const [a, b] = await nodes(t, redis, false)
  const [ca, cb, cb2] = [await connect(t, a), await connect(t, b), await connect(t, b)]
  const [ida, idb, idb2] = [ca.id as string, cb.id as string, cb2.id as string]
  await a.sockets.join([ida, idb], 'base')

  let pausedAt = 0
  const { track, all } = tracker(() => pausedAt)
  redis.pause()
  pausedAt = performance.now()
  // In flight across the stall: published (the bytes sit in Redis' socket), not acknowledged.
  const inFlight = [
    track('a.join(remote socket)', a.sockets.join(idb, 'stall:1')),
    track('b.addRoomMembersToRooms(room)', b.sockets.addRoomMembersToRooms('base', 'stall:2')),
    track('a.members(room)', a.sockets.members('base')),
    track('b.rooms(remote socket)', b.sockets.rooms(ida))
  ]

  const notReady: Record<string, number> = {}
  await waitFor(() => {
    for (const [name, node] of [['a', a], ['b', b]] as const) {
      if (notReady[name] === undefined && node.sockets.cluster?.ready === false) notReady[name] = Math.round(performance.now() - pausedAt)
    }
    return Object.keys(notReady).length === 2
  }, 'both nodes to notice the stall')
  t.comment(`ready went false ${notReady.a} ms (a) and ${notReady.b} ms (b) after SIGSTOP (heartbeatTimeout ${HEARTBEAT.heartbeatTimeout} ms)`)
  t.match(a.sockets.cluster?.status(), { ready: false, reason: /nothing came back through Redis/, nodes: ['stall-b'] }, 'a says why, and has not forgotten b')
  t.match(b.sockets.cluster?.status(), { ready: false, reason: /nothing came back through Redis/, nodes: ['stall-a'] })

  // Started during the stall, once the nodes know: rejected at once, applied on the calling node only.
  const during = [
    track('a.join(remote socket), stalled', a.sockets.join(idb, 'stall:3')),
    track('a.disconnect(remote socket), stalled', a.sockets.disconnect(idb2)),
    track('a.leaveAll(room), stalled', a.sockets.leaveAll('nobody-here')),
    track('b.members(room), stalled', b.sockets.members('base')),
    track('a.rooms(remote socket), stalled', a.sockets.rooms(idb))
  ]
  // Addressed to this node's own sockets: complete here, no Redis needed.
  await a.sockets.join(ida, 'local-during-stall')
  t.same(await a.sockets.rooms(ida), ['base', 'local-during-stall'], 'a change to local sockets works during the stall')

  // Keep Redis stopped well past heartbeatTimeout: silence heard while deaf must not expire a peer.
  await waitFor(() => performance.now() - pausedAt > 3 * HEARTBEAT.heartbeatTimeout, 'the stall to last 3 x heartbeatTimeout')
  await waitFor(() => all.every((outcome) => outcome.settled), 'every operation to settle during the stall')
  for (const outcome of all) t.comment(describe(outcome))
  t.ok(all.every((outcome) => !outcome.ok), 'nothing resolved while Redis was stalled')
  t.ok(all.every((outcome) => outcome.code === 'FST_SOCKETS_CLUSTER_UNAVAILABLE'), 'every one rejected FST_SOCKETS_CLUSTER_UNAVAILABLE')
  // status().since: when that node's ready turned false
  const knew = { a: a.sockets.cluster?.status().since ?? Infinity, b: b.sockets.cluster?.status().since ?? Infinity }
  t.ok(inFlight.every((outcome) => (outcome.at ?? 0) >= knew[outcome.name.startsWith('a.') ? 'a' : 'b']),
    'those in flight rejected when their node knew it was cut off, not before')
  for (const outcome of [...inFlight, ...during]) {
    t.same(outcome.nodes, [outcome.name.startsWith('a.') ? 'stall-b' : 'stall-a'], `${outcome.name}: the error names the node not reached`)
  }
  t.same(a.sockets.cluster?.status().nodes, ['stall-b'], 'after 3 x heartbeatTimeout of stall, a still counts b')
  t.same(b.sockets.cluster?.status().nodes, ['stall-a'])
  const stalledFor = Math.round(performance.now() - pausedAt)

  redis.resume()
  const resumedAt = performance.now()
  await waitFor(() => a.sockets.cluster?.ready === true && b.sockets.cluster?.ready === true, 'both nodes ready again')
  t.comment(`stall of ${stalledFor} ms; ready again ${Math.round(performance.now() - resumedAt)} ms after SIGCONT`)
  await converged([a, b])

  // What the operations published before the stall was noticed reached b after SIGCONT: a rejection
  // means "applied here, maybe elsewhere".
  t.comment(`after SIGCONT, before any retry: b's socket in ${JSON.stringify(await b.sockets.rooms(idb))}`)

  // Every membership call is idempotent: retrying the rejected ones converges.
  await a.sockets.join(idb, 'stall:1')
  await b.sockets.addRoomMembersToRooms('base', 'stall:2')
  await a.sockets.join(idb, 'stall:3')
  const gone = new Promise((resolve) => cb2.once('disconnect', resolve))
  await a.sockets.disconnect(idb2)
  t.equal(await gone, 'io server disconnect', 'the retried disconnect reached the socket on b')
  t.same((await a.sockets.rooms(idb)).sort(), ['base', 'stall:1', 'stall:2', 'stall:3'])
  t.same((await b.sockets.members('stall:2')).sort(), [ida, idb].sort())
  t.same(await b.sockets.rooms(ida), ['base', 'local-during-stall', 'stall:2'])
  const heard = nextEvent(cb, 'after-stall')
  a.sockets.broadcast('stall:3', 'after-stall', 1)
  t.equal(await heard, 1, 'cross-node delivery works after the stall')
  t.same(problems, [], 'no unhandled rejection, no uncaught exception')
})

t.test('sharded: a stall releases a local join waiting on its subscription, and remote changes reject', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  const [a, b] = await nodes(t, redis, true)
  const cb = await connect(t, b)
  const idb = cb.id as string
  let pausedAt = 0
  const { track, all } = tracker(() => pausedAt)
  redis.pause()
  pausedAt = performance.now()
  // b's own socket joins a new room: applied at once; its SSUBSCRIBE waits on the stalled Redis
  const local = track('b.join(own socket, new room)', b.sockets.join(idb, 'sharded-stall:local'))
  const remote = track('a.join(remote socket)', a.sockets.join(idb, 'sharded-stall:remote'))
  await waitFor(() => all.every((outcome) => outcome.settled), 'both to settle during the stall')
  for (const outcome of all) t.comment(describe(outcome))
  t.equal(a.sockets.cluster?.ready, false)
  t.equal(local.ok, true, 'the local join resolved (applied here) once the node knew Redis was stalled')
  t.match(remote, { ok: false, code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE', nodes: ['stall-b'] })
  redis.resume()
  await converged([a, b])
  await a.sockets.join(idb, 'sharded-stall:remote')
  const heard = [nextEvent(cb, 'local'), nextEvent(cb, 'remote')]
  a.sockets.broadcast('sharded-stall:local', 'local', 1)
  a.sockets.broadcast('sharded-stall:remote', 'remote', 2)
  t.same(await Promise.all(heard), [1, 2], 'broadcasts from the other node reach both rooms after the stall')
  t.same(problems, [])
})
