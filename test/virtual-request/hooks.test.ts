// Handshake authentication hooks: onConnection (refuses with a coded connect_error) and onDisconnect.
import t from 'tap'
import type { Socket } from 'socket.io'
import { buildApp, connect, request, delay, waitFor } from '../helpers/app.js'

interface LogLine { level: number, msg: string, err?: { message: string }, socketId?: string }

function logCapture (): { lines: LogLine[], logger: { level: string, stream: { write (line: string): void } } } {
  const lines: LogLine[] = []
  return { lines, logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } } } }
}

let uncaught = 0
process.on('uncaughtException', () => { uncaught++ })
process.on('unhandledRejection', () => { uncaught++ })

t.test('onConnection settles before any request of the socket; it can join rooms and fill socket.data', async (t) => {
  const app = await buildApp(t, {
    onConnection: async (socket: Socket) => {
      await delay(100) // e.g. loading the user
      socket.data.user = String(socket.handshake.auth.user)
      socket.join(`user:${String(socket.handshake.auth.user)}`)
    }
  }, (app) => {
    app.get('/me', async (request) => {
      const socket = app.sockets.io.of('/').sockets.get(app.sockets.getId(request) as string)
      return { user: socket?.data.user, rooms: await app.sockets.rooms(request) }
    })
  })
  const socket = await connect(t, app, { auth: { user: 'ada' } })
  // emitted the moment the client is connected: the hook has already run
  t.same((await request(socket, 'get', '/me')).body, { user: 'ada', rooms: ['user:ada'] })
})

t.test('onConnection that throws or rejects refuses the socket with a coded connect_error; the cause is logged', async (t) => {
  for (const [name, hook] of [
    ['throws', (socket: Socket) => { if (socket.handshake.auth.token !== 'ok') throw new Error('bad token for db://secret') }],
    ['rejects', async (socket: Socket) => { if (socket.handshake.auth.token !== 'ok') throw new Error('bad token for db://secret') }]
  ] as const) {
    const { lines, logger } = logCapture()
    let connections = 0
    const app = await buildApp(t, { onConnection: hook }, undefined, { logger })
    app.sockets.io.on('connection', () => { connections++ })
    const err = await connect(t, app, { auth: { token: 'nope' } }).then(() => undefined, (e: Error & { data?: unknown }) => e)
    t.ok(err, `${name}: refused`)
    t.equal(err?.message, 'Connection refused', `${name}: a clear message, not the cause`)
    t.same(err?.data, { code: 'FST_SOCKETS_CONNECTION_REFUSED' })
    t.equal(connections, 0, 'no connection event')
    const line = lines.find((l) => l.msg.includes('onConnection failed'))
    t.equal(line?.err?.message, 'bad token for db://secret', 'the cause is in the server log')
    t.ok(await connect(t, app, { auth: { token: 'ok' } }), `${name}: a good token connects`)
  }
})

t.test('onDisconnect runs once with the reason; its errors are logged, never thrown', async (t) => {
  const { lines, logger } = logCapture()
  const seen: Array<[string, string]> = []
  const app = await buildApp(t, {
    onDisconnect: async (socket: Socket, reason: string) => {
      seen.push([socket.id, reason])
      if (seen.length === 2) throw new Error('async failure')
      if (seen.length === 3) await Promise.reject(new Error('rejected'))
    }
  }, undefined, { logger })
  const sync = await buildApp(t, { onDisconnect: () => { throw new Error('sync failure') } }, undefined, { logger })

  const a = await connect(t, app)
  const idA = [...app.sockets.io.of('/').sockets.keys()][0] as string
  a.disconnect()
  await waitFor(() => seen.length >= 1, 'the first hook')
  t.same(seen, [[idA, 'client namespace disconnect']])
  await connect(t, app)
  await app.sockets.disconnect([...app.sockets.io.of('/').sockets.keys()][0] as string)
  const c = await connect(t, app)
  c.disconnect()
  const s = await connect(t, sync)
  s.disconnect()
  await waitFor(() => seen.length >= 3 && lines.some((l) => l.err?.message === 'sync failure'), 'three hooks and the logged failure')
  t.equal(seen[1]?.[1], 'server namespace disconnect')
  const failures = lines.filter((l) => l.msg.includes('onDisconnect failed')).map((l) => l.err?.message).sort()
  t.same(failures, ['async failure', 'rejected', 'sync failure'])
  t.equal(uncaught, 0, 'nothing escaped')
  t.same((await request(await connect(t, app), 'get', '/nope')).statusCode, 404, 'the server keeps serving')
})
