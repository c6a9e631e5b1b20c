import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { createClient, createCluster } from 'redis'
import type { Socket as ClientSocket } from 'socket.io-client'
import fastifySockets from '../../lib/index.js'
import type { ClusterOptions } from '../../lib/index.js'
import { buildApp, nextEvent, waitFor, type Teardown } from './app.js'

export { waitFor }
import type { RedisServer } from './redis.js'

/** One node of a test cluster: a Fastify app with the plugin's cluster option on the given Redis (or proxy). */
export async function buildNode (t: Teardown, redis: { readonly url: string }, cluster: Partial<ClusterOptions> = {},
  setup?: (app: FastifyInstance) => void | Promise<void>): Promise<FastifyInstance> {
  return await buildApp(t, { cluster: { redis: { url: redis.url }, ...cluster } }, setup)
}

/**
 * A node on the sharded adapter over its own `createCluster()` clients (the way a Redis Cluster deployment
 * passes them), listening on port 0; the app is closed first, then the clients it was given.
 */
export async function shardedNode (t: Teardown, rootNodes: Array<{ url: string }>, cluster: Partial<ClusterOptions>,
  setup?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const pubClient = createCluster({ rootNodes })
  const subClient = pubClient.duplicate()
  pubClient.on('error', () => {})
  subClient.on('error', () => {})
  await Promise.all([pubClient.connect(), subClient.connect()])
  const app = Fastify()
  t.teardown(async () => { await app.close(); pubClient.destroy(); subClient.destroy() })
  await app.register(fastifySockets, { cluster: { ...cluster, redis: { pubClient, subClient }, adapter: 'sharded' } })
  setup?.(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

/** Waits until every node is ready and knows every other node. */
export async function converged (nodes: FastifyInstance[]): Promise<void> {
  await waitFor(() => nodes.every((node) => {
    const status = node.sockets.cluster?.status()
    return status !== undefined && status.ready && status.nodes.length === nodes.length - 1
  }), 'the nodes to see each other')
}

/**
 * A node on Redis clients the test holds, converged with `peers`; `silence()` destroys those clients, cutting
 * the node off without a goodbye, as a crash would.
 */
export async function silentNode (t: Teardown, redis: RedisServer, peers: FastifyInstance[], cluster: Partial<ClusterOptions>):
Promise<{ node: FastifyInstance, silence: () => void }> {
  const pubClient = createClient({ url: redis.url })
  const subClient = pubClient.duplicate()
  pubClient.on('error', () => {})
  subClient.on('error', () => {})
  await Promise.all([pubClient.connect(), subClient.connect()])
  const node = Fastify()
  t.teardown(() => node.close())
  await node.register(fastifySockets, { cluster: { ...cluster, redis: { pubClient, subClient } } })
  await converged([...peers, node])
  return { node, silence: () => { pubClient.destroy(); subClient.destroy() } }
}

/** Every unhandled rejection or uncaught exception while a test runs is collected (the test asserts none). */
export function watchProcess (t: Teardown): unknown[] {
  const problems: unknown[] = []
  const onProblem = (err: unknown): void => { problems.push(err) }
  process.on('unhandledRejection', onProblem)
  process.on('uncaughtException', onProblem)
  t.teardown(() => {
    process.off('unhandledRejection', onProblem)
    process.off('uncaughtException', onProblem)
  })
  return problems
}

/** A cluster log line, as pino writes it. */
export interface ClusterLogLine { level: number, msg: string, suppressed?: number, [key: string]: unknown }

/** A logger stream that keeps the plugin's log lines containing `marker` (pino JSON) for counting. */
export function logSink (marker = 'fastify-sockets cluster'): { lines: ClusterLogLine[], stream: Writable } {
  const lines: ClusterLogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes(marker)) lines.push(JSON.parse(line) as ClusterLogLine)
      }
      done()
    }
  })
  return { lines, stream }
}

/** Broadcasts of a race() that the socket never received, by sending node. */
export interface Misses { fromA: number, fromB: number }

/**
 * The race Sails documents as "volatile": `rounds` rounds of `change(room)` then at once a broadcast to
 * `room`, alternately from B (even rounds) and A (odd rounds); returns how many of those broadcasts the
 * socket on B never received. The end is known by a marker from each node, which arrives after every
 * earlier broadcast of that node (per-sender order, one channel); with `allExpected` (rooms on several
 * Redis Cluster shards have no order between them) it is known when every broadcast arrived, and a
 * miss fails the wait at its deadline.
 */
export async function race (rounds: number, a: FastifyInstance, b: FastifyInstance, client: ClientSocket, label: string,
  change: (room: string) => Promise<void> | void, allExpected = false): Promise<Misses> {
  const received = new Set<number>()
  const onRace = (n: number): void => { received.add(n) }
  client.on('race', onRace)
  for (let i = 0; i < rounds; i++) {
    const room = `${label}:${i}`
    await change(room)
    const from = i % 2 === 0 ? b : a
    from.sockets.broadcast(room, 'race', i)
  }
  if (allExpected) {
    await waitFor(() => received.size === rounds, `all ${rounds} ${label} broadcasts`).catch(() => {})
  } else {
    const markers = [nextEvent(client, `done-a-${label}`, 10_000), nextEvent(client, `done-b-${label}`, 10_000)]
    a.sockets.emit(client.id as string, `done-a-${label}`, 1)
    b.sockets.emit(client.id as string, `done-b-${label}`, 1)
    await Promise.all(markers)
  }
  client.off('race', onRace)
  const misses = { fromA: 0, fromB: 0 }
  for (let i = 0; i < rounds; i++) {
    if (!received.has(i)) { if (i % 2 === 0) misses.fromB++; else misses.fromA++ }
  }
  return misses
}
