import { spawn } from 'node:child_process'
import type { Teardown } from './app.js'
import { RedisServer, REDIS_CLI_BIN, command } from './redis.js'

/**
 * A real Redis Cluster of `masters` masters (no replicas) owned by one test: redis-server in cluster mode
 * on free ports, joined by `redis-cli --cluster create`, every process stopped by its pid in teardown.
 * `kill(i)` SIGKILLs master i; `restart(i)` brings it back as the same node with its slots.
 */
export class RedisCluster {
  readonly masters: readonly RedisServer[]

  private constructor (masters: RedisServer[]) {
    this.masters = masters
  }

  static async start (t: Teardown, masters = 3): Promise<RedisCluster> {
    const servers: RedisServer[] = []
    for (let i = 0; i < masters; i++) servers.push(await RedisServer.member(t))
    const cluster = new RedisCluster(servers)
    await cluster.#create()
    await cluster.waitFor('ok')
    return cluster
  }

  /** The seed nodes for `createCluster({ rootNodes })`. */
  get rootNodes (): Array<{ url: string }> {
    return this.masters.map((server) => ({ url: server.url }))
  }

  /** Index of the master holding the slot of `key` (a channel name hashes the same way). */
  async masterOf (key: string): Promise<number> {
    const live = this.masters.find((server) => server.pid !== undefined) ?? this.masters[0]
    const slot = Number((await command(live?.port ?? 0, `CLUSTER KEYSLOT ${key}`)).slice(1))
    const nodes = await command(live?.port ?? 0, 'CLUSTER NODES')
    for (const line of nodes.split('\n')) {
      const fields = line.trim().split(' ')
      const port = Number(fields[1]?.split('@')[0]?.split(':')[1])
      for (const range of fields.slice(8)) {
        const [from, to] = range.split('-').map(Number)
        if (from !== undefined && slot >= from && slot <= (to ?? from)) return this.masters.findIndex((server) => server.port === port)
      }
    }
    throw new Error(`no master holds slot ${slot} of '${key}'`)
  }

  /** SIGKILLs master `i` by its pid and waits for it to be gone. */
  async kill (i: number): Promise<void> {
    await this.masters[i]?.stop()
  }

  /** Restarts master `i` on its port, as the same node, and waits until the cluster is ok again. */
  async restart (i: number): Promise<void> {
    await this.masters[i]?.start()
    await this.waitFor('ok')
  }

  /** Waits until every running master reports `cluster_state:<state>`. */
  async waitFor (state: 'ok' | 'fail', ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms
    for (;;) {
      const running = this.masters.filter((server) => server.pid !== undefined)
      const states = await Promise.all(running.map(async (server) => await command(server.port, 'CLUSTER INFO')))
      if (states.every((info) => info.includes(`cluster_state:${state}`))) return
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not reach cluster_state:${state} within ${ms} ms`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async #create (): Promise<void> {
    const args = ['--cluster', 'create', ...this.masters.map((server) => `127.0.0.1:${server.port}`), '--cluster-yes']
    const child = spawn(REDIS_CLI_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const watchdog = setTimeout(() => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL') }, 20_000)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearTimeout(watchdog)
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${String(code)}): ${output.trim()}`)
  }
}
