import Fastify from 'fastify'
import { createClient, createCluster } from 'redis'
import { expect } from 'tstyche'
import fastifySockets, { type ClusterHealth, type ClusterStatus } from '../lib/index.js'

const app = Fastify()
const client = createClient()
const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] })

expect(app.register).type.toBeCallableWith(fastifySockets, { cluster: { redis: { url: 'redis://127.0.0.1:6379' } } })
expect(app.register).type.toBeCallableWith(fastifySockets, { cluster: { redis: { pubClient: client, subClient: client.duplicate() } } })
expect(app.register).type.toBeCallableWith(fastifySockets, { cluster: { redis: { pubClient: cluster, subClient: cluster.duplicate() }, adapter: 'sharded' } })
expect(app.register).type.toBeCallableWith(fastifySockets, {
  cluster: { redis: { url: 'redis://x' }, adapter: 'sharded', subscriptionMode: 'dynamic-private', key: 'app', nodeId: 'n1', timeout: 1000, heartbeatInterval: 500, heartbeatTimeout: 2000, readyTimeout: 0 }
})
expect(app.register).type.not.toBeCallableWith(fastifySockets, { cluster: { redis: 'redis://127.0.0.1:6379' } })
expect(app.register).type.toBeCallableWith(fastifySockets, {
  cluster: { redis: { url: 'redis://x' }, adapter: 'streams', streamMaxLength: 50_000 }, recovery: { maxDisconnectionDuration: 120_000 }
})
expect(app.register).type.toBeCallableWith(fastifySockets, { recovery: { maxDisconnectionDuration: 1000 } })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { cluster: { redis: { url: 'redis://x' }, sharded: true } })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { cluster: { redis: { url: 'redis://x' }, adapter: 'stream' } })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { recovery: {} })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { recovery: { maxDisconnectionDuration: 1000, skipMiddlewares: true } })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { cluster: { redis: { url: 'redis://x' }, subscriptionMode: 'all' } })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { cluster: { redis: { url: 'redis://x' }, timeout: '5s' } })

expect(app.sockets.cluster).type.toBe<ClusterHealth | undefined>()
expect(app.sockets.cluster?.status()).type.toBe<ClusterStatus | undefined>()
expect<ClusterStatus>().type.toBeAssignableTo<{ ready: boolean, nodeId: string, nodes: string[], since: number, dropped: number }>()
expect<ClusterStatus['reason']>().type.toBe<string | undefined>()
expect<ClusterStatus['malformed']>().type.toBe<number>()
expect(app.register).type.toBeCallableWith(fastifySockets, { closeGrace: 2000 })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { closeGrace: '2s' })
