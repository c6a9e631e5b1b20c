// A throwaway redis-server for the cluster example: on a free port, without persistence, stopped with the
// process. Uses REDIS_SERVER, or `redis-server` on the PATH.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo } from 'node:net'

export interface OwnRedis {
  url: string
  pid: number
  stop: () => void
}

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function answersPing (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

/** Starts redis-server and resolves once it answers PING (rejects within 10 s, with the reason). */
export async function startRedis (): Promise<OwnRedis> {
  const bin = process.env.REDIS_SERVER ?? 'redis-server'
  const port = await freePort()
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'inherit'] })
  const stop = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill() }
  process.once('exit', stop)
  let failure: Error | undefined
  child.once('error', (err) => { failure = new Error(`could not start ${bin} (${err.message}): install redis-server, set REDIS_SERVER to it, or REDIS_URL to a running Redis`) })
  child.once('exit', (code) => { failure ??= new Error(`${bin} exited with ${String(code)} before answering`) })
  const deadline = Date.now() + 10_000
  while (!(await answersPing(port))) {
    if (failure === undefined && Date.now() > deadline) failure = new Error(`${bin} did not answer PING on port ${port} within 10 s`)
    if (failure !== undefined) {
      stop()
      throw failure
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid as number, stop }
}
