// Redis with a password (requirepass) and with an ACL user limited to the app's channels and the few
// commands the plugin needs: the cluster works over both. A wrong password, or an ACL missing what the
// adapter needs, never crashes a node: it is not ready and says why.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { createClient } from 'redis'
import { connect, nextEvent } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { buildNode, converged, waitFor, watchProcess } from '../helpers/cluster.js'

const skip = redisSkipReason()
const KEY = 'fastify-sockets'
// The ACLs the README documents: the app's channels (PSUBSCRIBE needs its pattern listed literally) and commands.
const PUBSUB_ACL = ['resetchannels', `&${KEY}*`, `&${KEY}#/#*`, 'resetkeys', '-@all',
  '+ping', '+publish', '+subscribe', '+psubscribe', '+unsubscribe', '+punsubscribe', '+pubsub|numsub']
const SHARDED_ACL = ['resetchannels', `&${KEY}*`, 'resetkeys', '-@all', '+ping', '+spublish', '+ssubscribe', '+sunsubscribe', '+pubsub|shardnumsub']
const ADMIN = ['--user', 'default', 'off', '--user', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all']

// Two nodes on `url`: a socket on b joined from a hears a broadcast from a, and members() counts it.
async function crossNode (t: Test, url: string, sharded: boolean, prefix: string): Promise<[FastifyInstance, FastifyInstance]> {
  const a = await buildNode(t, { url }, { nodeId: `${prefix}-a`, adapter: sharded ? 'sharded' : 'pubsub' })
  const b = await buildNode(t, { url }, { nodeId: `${prefix}-b`, adapter: sharded ? 'sharded' : 'pubsub' })
  await converged([a, b])
  const cb = await connect(t, b)
  await a.sockets.join(cb.id as string, 'secured')
  const heard = nextEvent(cb, 'hello')
  a.sockets.broadcast('secured', 'hello', prefix)
  t.equal(await heard, prefix, `${prefix}: cross-node delivery`)
  t.same(await b.sockets.members('secured'), [cb.id], `${prefix}: members() across nodes`)
  return [a, b]
}

t.test('requirepass: the nodes authenticate from the url', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t, { args: ['--requirepass', 's3cret'], auth: 's3cret' })
  await crossNode(t, `redis://:s3cret@127.0.0.1:${redis.port}`, false, 'pass')

  const wrong = await buildNode(t, { url: `redis://:wrong@127.0.0.1:${redis.port}` }, { nodeId: 'pass-wrong', readyTimeout: 300 })
  t.match(wrong.sockets.cluster?.status(), { ready: false, reason: /not connected/ }, 'a wrong password: not ready, and it says why')
  await t.rejects(wrong.sockets.members('secured'), { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' })
  t.same(problems, [], 'no crash')
})

for (const [mode, acl] of [['pub/sub', PUBSUB_ACL], ['sharded', SHARDED_ACL]] as const) {
  t.test(`${mode}: an ACL user limited to the app's channels and the commands it needs`, { skip }, async (t) => {
    const problems = watchProcess(t)
    const redis = await RedisServer.start(t, { args: [...ADMIN, '--user', 'app', 'on', '>app-pw', ...acl], auth: 'admin admin-pw' })
    await crossNode(t, `redis://app:app-pw@127.0.0.1:${redis.port}`, mode === 'sharded', mode === 'sharded' ? 'acl-sharded' : 'acl')
    const admin = createClient({ url: `redis://admin:admin-pw@127.0.0.1:${redis.port}` })
    await admin.connect()
    t.teardown(() => admin.destroy())
    const denied = (await admin.sendCommand(['ACL', 'LOG']) as unknown[]).length
    t.equal(denied, 0, 'Redis denied the app nothing')

    // Another app's user, limited to its own prefix, cannot publish on this app's channels.
    await admin.sendCommand(['ACL', 'SETUSER', 'other', 'on', '>other-pw', 'resetchannels', '&other-app*', '-@all', '+publish', '+spublish'])
    const other = createClient({ url: `redis://other:other-pw@127.0.0.1:${redis.port}` })
    other.on('error', () => {})
    await other.connect()
    t.teardown(() => other.destroy())
    await t.rejects(mode === 'sharded' ? other.sPublish(`${KEY}#/#`, 'forged') : other.publish(`${KEY}#/#`, 'forged'), /NOPERM/,
      "another app's user is refused on this app's channels")
    t.same(problems, [])
  })
}

t.test('an ACL without what the adapter needs: not ready, saying which subscription was refused; no crash', { skip }, async (t) => {
  const problems = watchProcess(t)
  // the pattern subscription of the pub/sub adapter left out (socket.io-redis-adapter#513 is this NOPERM)
  const acl = PUBSUB_ACL.filter((rule) => rule !== `&${KEY}#/#*`)
  const redis = await RedisServer.start(t, { args: [...ADMIN, '--user', 'app', 'on', '>app-pw', ...acl], auth: 'admin admin-pw' })
  const a = await buildNode(t, { url: `redis://app:app-pw@127.0.0.1:${redis.port}` }, { nodeId: 'acl-short' })
  await waitFor(() => a.sockets.cluster?.status().reason !== undefined, 'the refusal to show')
  t.match(a.sockets.cluster?.status(), { ready: false, reason: /subscription to fastify-sockets#\/#\* was refused: .*NOPERM/ }, a.sockets.cluster?.status().reason ?? 'no reason')
  t.same(problems, [], 'no unhandled rejection')
})
