import type { FastifyInstance } from 'fastify'
import type { ClusterOptions } from '../../lib/index.js'
import { buildApp, type Teardown } from './app.js'
import type { RedisServer } from './redis.js'

/** One node of a test cluster: a Fastify app with the plugin's cluster option on the given Redis. */
export async function buildNode (t: Teardown, redis: RedisServer, cluster: Partial<ClusterOptions> = {},
  setup?: (app: FastifyInstance) => void | Promise<void>): Promise<FastifyInstance> {
  return await buildApp(t, { cluster: { redis: { url: redis.url }, ...cluster } }, setup)
}

/** Polls `check` every 20 ms until it holds; rejects after `ms` naming `what`. */
export async function waitFor (check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Waits until every node is ready and knows every other node. */
export async function converged (nodes: FastifyInstance[]): Promise<void> {
  await waitFor(() => nodes.every((node) => {
    const status = node.sockets.cluster?.status()
    return status !== undefined && status.ready && status.nodes.length === nodes.length - 1
  }), 'the nodes to see each other')
}
