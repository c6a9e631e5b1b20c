import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
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

// One PING over a raw socket: true when the server answers +PONG.
async function pings (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1')
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

/**
 * A real redis-server owned by one test: started on a free port (no persistence), stopped by its pid.
 * `kill()` SIGKILLs it (a crash); `start()` brings it back on the same port, empty.
 */
export class RedisServer {
  readonly port: number
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()

  private constructor (port: number) {
    this.port = port
  }

  /** Starts a server on a free port and registers its stop in teardown. */
  static async start (t: Teardown): Promise<RedisServer> {
    const server = new RedisServer(await freePort())
    t.teardown(() => server.kill())
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
    const child = spawn(REDIS_SERVER_BIN, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--protected-mode', 'no', '--loglevel', 'warning'
    ], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break
      if (await pings(this.port)) return
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
}
