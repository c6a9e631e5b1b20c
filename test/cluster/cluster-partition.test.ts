// One node cut off from Redis while its TCP connections stay up (a frozen proxy between that node and
// Redis): the cut-off node knows it (not ready, its cluster-wide calls reject), while the other node,
// which still hears itself, stays ready and lets the silent one go after heartbeatTimeout. When the
// link thaws, both are ready and know each other again.
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { connect, nextEvent } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { FreezableProxy } from '../helpers/proxy.js'
import { buildNode, converged, waitFor } from '../helpers/cluster.js'

const skip = redisSkipReason()
const HEARTBEAT = { heartbeatInterval: 200, heartbeatTimeout: 1000, timeout: 8000 }

t.test('the node that is cut off knows it; the others let it go', { skip }, async (t) => {
  const redis = await RedisServer.start(t)
  const proxy = await FreezableProxy.start(t, redis.port)
  const a = await buildNode(t, redis, { nodeId: 'part-a', ...HEARTBEAT })
  const b = await buildNode(t, proxy, { nodeId: 'part-b', ...HEARTBEAT })
  await converged([a, b])
  const [ca, cb] = [await connect(t, a), await connect(t, b)]
  const [ida, idb] = [ca.id as string, cb.id as string]

  proxy.freeze()
  const frozenAt = performance.now()
  const ms = (): number => Math.round(performance.now() - frozenAt)
  // In flight when the link froze: a waits for b, which cannot answer; b waits for a, which it cannot reach.
  let aSettled: string | undefined
  a.sockets.join(idb, 'part:1').then(() => { aSettled = `resolved at ${ms()} ms` }, (err: { code: string }) => { aSettled = `${err.code} at ${ms()} ms` })
  const fromB = b.sockets.join(ida, 'part:2').then(() => 'resolved', (err: { code: string, nodes: string[] }) => ({ code: err.code, nodes: err.nodes, at: ms() }))

  await waitFor(() => b.sockets.cluster?.ready === false, 'b to know it is cut off')
  const bNotReady = ms()
  t.match(b.sockets.cluster?.status(), { ready: false, reason: /nothing came back through Redis/ }, 'b says why')
  t.match(await fromB, { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE', nodes: ['part-a'] }, "b's call in flight rejected, naming a")
  await t.rejects(b.sockets.members('part:1'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' }, 'b refuses to answer short')
  t.equal(a.sockets.cluster?.ready, true, 'a still hears itself: ready')

  await waitFor(() => a.sockets.cluster?.status().nodes.length === 0, 'a to let b go')
  const aForgot = ms()
  t.equal(a.sockets.cluster?.ready, true, 'a stayed ready throughout')
  await waitFor(() => aSettled !== undefined, "a's call in flight to settle")
  t.comment(`frozen link: b not ready after ${bNotReady} ms; a forgot b after ${aForgot} ms (heartbeatTimeout ${HEARTBEAT.heartbeatTimeout} ms); ` +
    `a's call in flight to b: ${aSettled ?? '?'}`)
  await a.sockets.addRoomMembersToRooms(ida, 'part:3')
  t.pass('a works on without b')

  proxy.thaw()
  const thawedAt = performance.now()
  await converged([a, b])
  t.comment(`after the thaw both were ready and knew each other within ${Math.round(performance.now() - thawedAt)} ms`)
  await a.sockets.join(idb, 'part:4')
  const heard = nextEvent(cb, 'healed')
  a.sockets.broadcast('part:4', 'healed', 1)
  t.equal(await heard, 1, 'cross-node delivery and membership work again')
  t.same(await b.sockets.members('part:4'), [idb])
})
