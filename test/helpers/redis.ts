import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Teardown } from './app.js'

/** Where the tests look for redis-server (REDIS_SERVER overrides). */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'

/**
 * Whether Redis tests can run. When the binary is missing they skip with a loud reason, unless
 * REQUIRE_REDIS=1 (CI), where a missing binary is a failure.
 */
export function redisSkipReason (): string | false {
  if (existsSync(REDIS_SERVER_BIN)) return false
  const reason = `redis-server not found at ${REDIS_SERVER_BIN} (install redis-server or set REDIS_SERVER)`
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but ${reason}`)
  process.stderr.write(`\n*** SKIPPING Redis tests: ${reason} ***\n\n`)
  return `SKIPPED LOUDLY: ${reason}`
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

// One inline command over a raw socket; resolves with the reply text ('' on any failure).
async function command (port: number, line: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1')
    const done = (reply: string): void => { socket.destroy(); resolve(reply) }
    socket.setTimeout(500, () => done(''))
    socket.once('error', () => done(''))
    socket.once('connect', () => socket.write(`${line}\r\n`))
    socket.once('data', (data) => done(data.toString()))
  })
}

/**
 * A real redis-server owned by one test: started on a free port (no persistence), stopped by its pid.
 * `kill()` SIGKILLs it (a crash); `start()` brings it back on the same port, empty.
 */
export class RedisServer {
  readonly port: number
  /** A one-node Redis Cluster (cluster mode, every slot on this node): for createCluster() clients. */
  readonly cluster: boolean
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #dir: string | undefined

  private constructor (port: number, cluster: boolean) {
    this.port = port
    this.cluster = cluster
  }

  /** Starts a server on a free port and registers its stop in teardown. */
  static async start (t: Teardown, opts: { cluster?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), opts.cluster ?? false)
    t.teardown(() => {
      server.kill()
      if (server.#dir !== undefined) rmSync(server.#dir, { recursive: true, force: true })
    })
    await server.start()
    return server
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get pid (): number | undefined {
    return this.#child?.pid
  }

  /** Starts (or restarts) redis-server on this port and waits until it answers PING. */
  async start (): Promise<void> {
    if (this.#child !== undefined) throw new Error('redis-server already running')
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--protected-mode', 'no', '--loglevel', 'warning']
    if (this.cluster) {
      this.#dir ??= mkdtempSync(join(tmpdir(), 'fastify-sockets-redis-'))
      rmSync(join(this.#dir, 'nodes.conf'), { force: true })
      args.push('--cluster-enabled', 'yes', '--dir', this.#dir, '--cluster-config-file', 'nodes.conf')
    }
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break
      if ((await command(this.port, 'PING')).startsWith('+PONG')) {
        if (!this.cluster) return
        await command(this.port, 'CLUSTER ADDSLOTSRANGE 0 16383')
        if ((await command(this.port, 'CLUSTER INFO')).includes('cluster_state:ok')) return
      }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    this.kill()
    throw new Error(`redis-server on port ${this.port} did not answer PING: ${stderr.trim()}`)
  }

  /** SIGKILLs the server by its pid (no shutdown, no goodbye to clients) and waits for it to be gone. */
  async stop (): Promise<void> {
    this.kill()
    await this.#exited
  }

  kill (): void {
    const child = this.#child
    this.#child = undefined
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
  }

  /** SIGSTOPs the server by its pid: connections stay up, nothing is answered (a stalled Redis). */
  pause (): void {
    this.#signal('SIGSTOP')
  }

  /** SIGCONTs a paused server: it answers what it was sent meanwhile. */
  resume (): void {
    this.#signal('SIGCONT')
  }

  #signal (signal: NodeJS.Signals): void {
    const pid = this.#child?.pid
    if (pid === undefined || this.#child?.exitCode !== null) throw new Error('redis-server is not running')
    process.kill(pid, signal)
  }
}
