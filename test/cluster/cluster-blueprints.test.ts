// Blueprint mutations during a Redis outage tell the truth: while a node knows the cluster is unavailable
// nothing is written (503, a retry stores once); when Redis goes away between the write and its publish,
// the answer is the write's success, with the lost publish logged and named in a header.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { buildApp, connect, nextEvent, request } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { converged, logSink, waitFor, watchProcess } from '../helpers/cluster.js'
import { blueprints, memoryStore, PUBLISH_ERROR_HEADER, type Store } from '../../lib/index.js'

const skip = redisSkipReason()
const User = Type.Object({ id: Type.Integer(), name: Type.String() }, { additionalProperties: false })
type User = Static<typeof User>

t.test('blueprint mutations while Redis is down, and when it goes away mid-request', { skip }, async (t) => {
  const problems = watchProcess(t)
  const redis = await RedisServer.start(t)
  // One database behind both nodes; `during` runs inside a write, after it committed.
  const base = memoryStore<User>({ records: [{ id: 1, name: 'ada' }, { id: 2, name: 'bob' }] })
  let during: (() => Promise<void>) | undefined
  const after = async <R>(result: R): Promise<R> => { const step = during; during = undefined; if (step !== undefined) await step(); return result }
  const store: Store<User> = {
    find: async (query) => await base.find(query),
    findOne: async (id) => await base.findOne(id),
    create: async (data) => await after(await base.create(data)),
    update: async (id, changes) => await after(await base.update(id, changes)),
    destroy: async (id) => await after(await base.destroy(id))
  }
  const logs = logSink('fastify-sockets')
  const node = async (nodeId: string, logged: boolean): Promise<FastifyInstance> =>
    await buildApp(t, { cluster: { redis: { url: redis.url }, nodeId, timeout: 2000 } },
      async (app) => { await app.register(blueprints, { identity: 'user', schema: User, store }) },
      logged ? { logger: { level: 'warn', stream: logs.stream } } : {})
  const a = await node('bp-a', false)
  const b = await node('bp-b', true)
  await converged([a, b])
  const [watcher, writer] = [await connect(t, a), await connect(t, b)]
  t.equal((await request(watcher, 'get', '/user')).statusCode, 200, 'the watcher on a subscribes and watches')
  const created = nextEvent<{ verb: string }>(watcher, 'user')
  t.equal((await request(writer, 'post', '/user', { name: 'cy' })).statusCode, 200)
  t.match(await created, { verb: 'created' }, 'healthy: the watcher on a hears a create made through b')
  const count = async (): Promise<number> => (await base.find({})).length
  const before = await count()

  // Known unavailable: refused before writing.
  await redis.stop()
  await waitFor(() => a.sockets.cluster?.ready === false && b.sockets.cluster?.ready === false, 'both nodes to know')
  const refused = [
    await request(writer, 'post', '/user', { name: 'dee' }),
    await request(writer, 'patch', '/user/1', { name: 'ADA' }),
    await request(writer, 'put', '/user/1', { name: 'ADA' }),
    await request(writer, 'delete', '/user/2')
  ]
  for (const jwr of refused) t.match(jwr, { statusCode: 503, body: { code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE', message: /nothing was written/ } })
  const overHttp = await b.inject({ method: 'POST', url: '/user', payload: { name: 'eve' } })
  t.match(overHttp.json(), { statusCode: 503, code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE' }, 'over HTTP too')
  t.equal(await count(), before, 'nothing was stored')
  t.same(await base.findOne(1), { id: 1, name: 'ada' }, 'nothing was updated')
  t.same(await base.findOne(2), { id: 2, name: 'bob' }, 'nothing was deleted')

  await redis.start()
  await converged([a, b])
  const retried = await request(writer, 'post', '/user', { name: 'dee' })
  t.equal(retried.statusCode, 200, 'the retry succeeds once Redis is back')
  t.equal(await count(), before + 1, 'and stores the record once')
  t.notOk(PUBLISH_ERROR_HEADER in retried.headers)

  // Redis dies between the write and its publish: the write's success, and the lost publish named.
  const killRedis = async (): Promise<void> => { await redis.stop(); await waitFor(() => b.sockets.cluster?.ready === false, 'b to know') }
  const committed = []
  during = killRedis
  committed.push(['create', await request(writer, 'post', '/user', { name: 'fay' })] as const)
  await redis.start()
  await converged([a, b])
  during = killRedis
  committed.push(['update', await request(writer, 'patch', '/user/1', { name: 'ADA' })] as const)
  await redis.start()
  await converged([a, b])
  during = killRedis
  committed.push(['destroy', await request(writer, 'delete', '/user/2')] as const)
  for (const [verb, jwr] of committed) {
    t.equal(jwr.statusCode, 200, `${verb}: answered with the write's status`)
    t.equal(jwr.headers[PUBLISH_ERROR_HEADER], 'FST_SOCKETS_CLUSTER_UNAVAILABLE', `${verb}: the lost publish is named in ${PUBLISH_ERROR_HEADER}`)
    t.comment(`${verb} with Redis killed after the write: ${jwr.statusCode}, ${PUBLISH_ERROR_HEADER}: ${String(jwr.headers[PUBLISH_ERROR_HEADER])}`)
  }
  t.match(committed[0]?.[1].body, { name: 'fay' })
  t.equal(await count(), before + 2 - 1, 'each write happened exactly once (one create kept, one record destroyed)')
  t.same(await base.findOne(1), { id: 1, name: 'ADA' })
  t.equal(await base.findOne(2), undefined)
  const lost = logs.lines.filter((line) => /committed, but its publish failed/.test(line.msg))
  t.equal(lost.length, 3, 'each lost publish is logged')
  t.same(problems, [])
})
