// S19: fastify.close() under load: 100 sockets (20 polling, 5 silent polling sessions), 20 requests in flight.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fixtureEnv } from '../helpers/process.js'

interface Result {
  before: { connections: number, inFlight: number }
  closeMs: number
  statuses: number[]
  reasons: string[]
  disconnected: number
  after: { connections: number, rooms: number, inFlight: number }
  engineClients: number
  errors: string[]
}

t.test('S19: close settles every request, disconnects every socket, and leaves no handle open', async (t) => {
  const script = fileURLToPath(new URL('../fixtures/graceful-close.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'], env: fixtureEnv() })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  // Engine.IO would hold a silent polling client's close for 30 s; the watchdog stays below that (with room
  // for a loaded machine: the close itself takes about a second).
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 28_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(watchdog)
  t.equal(code, 0, `the process exited by itself (stderr: ${stderr.trim()})`)
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Result
  t.match(result.before, { connections: 105, inFlight: 20 }, 'the load was in place when close began')
  t.equal(result.statuses.length, 20)
  // even ones: GET /never, which outlasts closeGrace (503); odd ones: POST /slow (200 ms), which finishes within it
  t.same(result.statuses, result.statuses.map((_, i) => i % 2 === 0 ? 503 : 200), `each settled with its result or, past closeGrace, 503: ${result.statuses.join(',')}`)
  t.equal(result.disconnected, 100, 'every client saw its disconnect')
  // a transport closed under them, never a socket.io DISCONNECT: socket.io-client reconnects (to the next server) after both
  t.ok(result.reasons.every((reason) => reason === 'transport close' || reason === 'transport error'), `reasons: ${result.reasons.join(', ')}`)
  t.same(result.after, { connections: 0, rooms: 0, inFlight: 0 }, 'nothing left in the plugin')
  t.equal(result.engineClients, 0, 'no Engine.IO connection left, silent polling ones included')
  t.same(result.errors, [], 'no uncaught exception, unhandled rejection or FST_ERR_REOPENED_CLOSE_SERVER')
  t.comment(`close took ${result.closeMs} ms (closeGrace 500 ms for the requests, then up to 1 s for polling clients to take their answers)`)
})
