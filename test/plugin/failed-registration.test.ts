// A registration that fails after the plugin built its socket.io server (and, with cluster, its Redis clients)
// closes what it built, seen from inside the process (registration.test.ts proves the process then exits).
import t from 'tap'
import Fastify from 'fastify'
import { createClient } from 'redis'
import fastifySockets from '../../lib/index.js'
import { waitFor } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'

t.test('single process: the error is Fastify\'s, and the app still closes', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('sockets', 'taken' as never) // the plugin's own decorate fails, after its socket.io server exists
  await t.rejects(async () => { await app.register(fastifySockets) }, { code: 'FST_ERR_DEC_ALREADY_PRESENT' })
  t.equal(app.sockets as unknown, 'taken', 'nothing replaced the decoration')
  await app.close()
  t.pass('closed')
})

t.test('cluster: the Redis clients the plugin created are closed', { skip: redisSkipReason() }, async (t) => {
  const redis = await RedisServer.start(t)
  const watcher = createClient({ url: redis.url })
  watcher.on('error', () => {})
  await watcher.connect()
  t.teardown(() => watcher.destroy())
  const connections = async (): Promise<number> => String(await watcher.sendCommand(['CLIENT', 'LIST'])).trim().split('\n').length
  const received = async (): Promise<number> => Number(/total_connections_received:(\d+)/.exec(String(await watcher.sendCommand(['INFO', 'stats'])))?.[1])
  t.equal(await connections(), 1, 'only the test\'s own connection before')
  const before = await received()
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('sockets', 'taken' as never)
  await t.rejects(async () => { await app.register(fastifySockets, { cluster: { redis: { url: redis.url }, readyTimeout: 2000 } }) },
    { code: 'FST_ERR_DEC_ALREADY_PRESENT' })
  t.ok(await received() >= before + 2, 'the plugin had connected its two clients')
  await waitFor(async () => await connections() === 1, 'the plugin\'s Redis connections to be gone')
  t.pass('no Redis connection of the plugin is left')
})
