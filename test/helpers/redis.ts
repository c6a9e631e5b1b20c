import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Teardown } from './app.js'

/** Where the tests look for redis-server (REDIS_SERVER overrides). */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'
/** Where the Redis Cluster tests look for redis-cli (REDIS_CLI overrides); it creates the cluster. */
export const REDIS_CLI_BIN = process.env.REDIS_CLI ?? '/usr/bin/redis-cli'

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

/** Like redisSkipReason, for tests that also need redis-cli (a real multi-node Redis Cluster). */
export function redisClusterSkipReason (): string | false {
  const server = redisSkipReason()
  if (server !== false || existsSync(REDIS_CLI_BIN)) return server
  const reason = `redis-cli not found at ${REDIS_CLI_BIN} (install redis-tools or set REDIS_CLI)`
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but ${reason}`)
  process.stderr.write(`\n*** SKIPPING Redis Cluster tests: ${reason} ***\n\n`)
  return `SKIPPED LOUDLY: ${reason}`
}

/** A TCP port nothing listens on now (the kernel picked it, then it was closed). */
export async function freePort (): Promise<number> {
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

// One inline command over a raw socket (after AUTH when `auth` is given); resolves with the reply text
// ('' on any failure).
export async function command (port: number, line: string, auth?: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1')
    let text = ''
    const done = (reply: string): void => { socket.destroy(); resolve(reply) }
    socket.setTimeout(500, () => done(''))
    socket.once('error', () => done(''))
    socket.once('connect', () => socket.write(auth === undefined ? `${line}\r\n` : `AUTH ${auth}\r\n${line}\r\n`))
    socket.on('data', (data) => {
      text += data.toString()
      if (auth === undefined) return done(text)
      // the AUTH reply first, then the command's
      const end = text.indexOf('\r\n')
      if (!text.startsWith('+OK')) return done(text)
      if (end !== -1 && text.length > end + 2) done(text.slice(end + 2))
    })
  })
}

/** Options of a test's redis-server. */
export interface RedisServerOptions {
  /** A one-node Redis Cluster (cluster mode, every slot on this node): for createCluster() clients. */
  cluster?: boolean
  /** More redis-server arguments, e.g. `['--requirepass', 'secret']` or `['--user', 'app', 'on', '>pw', ...]`. */
  args?: readonly string[]
  /** What the test's own probes AUTH with: `password`, or `user password`. */
  auth?: string
}

/**
 * A real redis-server owned by one test: started on a free port (no persistence), stopped by its pid.
 * `kill()` SIGKILLs it (a crash); `start()` brings it back on the same port, empty.
 */
export class RedisServer {
  readonly port: number
  /** A one-node Redis Cluster (cluster mode, every slot on this node): for createCluster() clients. */
  readonly cluster: boolean
  readonly #opts: RedisServerOptions
  // a member of a RedisCluster: cluster mode without slots of its own, its nodes.conf kept across restarts
  readonly #member: boolean
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #dir: string | undefined

  private constructor (port: number, opts: RedisServerOptions, member: boolean) {
    this.port = port
    this.cluster = opts.cluster ?? false
    this.#opts = opts
    this.#member = member
  }

  /** Starts a server on a free port and registers its stop in teardown. */
  static async start (t: Teardown, opts: RedisServerOptions = {}): Promise<RedisServer> {
    return await RedisServer.#create(t, opts, false)
  }

  /** A member of a multi-node Redis Cluster (see RedisCluster). */
  static async member (t: Teardown): Promise<RedisServer> {
    return await RedisServer.#create(t, {}, true)
  }

  static async #create (t: Teardown, opts: RedisServerOptions, member: boolean): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), opts, member)
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
      '--protected-mode', 'no', '--loglevel', 'warning', ...this.#opts.args ?? []]
    if (this.cluster || this.#member) {
      this.#dir ??= mkdtempSync(join(tmpdir(), 'fastify-sockets-redis-'))
      // a member comes back as the same node, with its slots; a one-node cluster starts afresh
      if (!this.#member) rmSync(join(this.#dir, 'nodes.conf'), { force: true })
      args.push('--cluster-enabled', 'yes', '--dir', this.#dir, '--cluster-config-file', 'nodes.conf')
      if (this.#member) args.push('--cluster-node-timeout', '1000')
    }
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break
      if ((await command(this.port, 'PING', this.#opts.auth)).startsWith('+PONG')) {
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
