// The Membership contract on the Redis cluster backend: three nodes in this process on one real
// redis-server, then the sharded adapter (Redis 7 sharded pub/sub) on a redis-server in cluster mode.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { buildNode, converged, shardedNode } from '../helpers/cluster.js'
import { membershipContract } from './contract.js'

const skip = redisSkipReason()
const NODES = ['a', 'b', 'c']
// Each case gets its own nodes; a channel key of its own keeps a case's nodes from hearing the last case's.
let cases = 0

for (const adapter of ['pubsub', 'streams'] as const) {
  t.test(`${adapter}: three nodes on one redis-server`, { skip }, async (t) => {
    const redis = await RedisServer.start(t)
    membershipContract(t, async (t, setup) => {
      const key = `contract-${++cases}`
      const nodes: FastifyInstance[] = []
      // heartbeatTimeout far away: only a goodbye can make a node forget another during a case
      for (const name of NODES) nodes.push(await buildNode(t, redis, { key, adapter, nodeId: `${key}-${name}`, heartbeatTimeout: 60_000 }, setup))
      await converged(nodes)
      return nodes
    })
  })
}

t.test('three nodes, sharded adapter, on a redis-server in cluster mode', { skip }, async (t) => {
  const redis = await RedisServer.start(t, { cluster: true })
  membershipContract(t, async (t, setup) => {
    const key = `contract-${++cases}`
    const nodes: FastifyInstance[] = []
    for (const name of NODES) {
      nodes.push(await shardedNode(t, [{ url: redis.url }], { key, nodeId: `${key}-${name}`, heartbeatTimeout: 60_000 }, setup))
    }
    await converged(nodes)
    return nodes
  })
})
