// A route that forgets to await a fastify.sockets promise (Sails code calls sails.sockets.join(req, room) without a
// callback) must not let a client crash the process with an input that makes it reject: Node 20 exits on an
// unhandled rejection. The promise nobody observes is logged with its coded error; an awaited one still rejects.
import t from 'tap'
import { runFixture } from '../helpers/process.js'
import { buildApp, connect, request } from '../helpers/app.js'
import { watchProcess } from '../helpers/cluster.js'

interface LogLine { level: number, msg: string, code?: string, unawaited?: number }

t.test('un-awaited failing joins in routes: the process lives, each error is logged with its code', async (t) => {
  const { code, output } = await runFixture('unawaited-join.ts')
  t.equal(code, 0, 'the process exited normally')
  t.match(output, /\nalive\n/, 'and served to the end')
  const results = JSON.parse(/RESULTS (.*)/.exec(output)?.[1] ?? '{}') as Record<string, { status: number, body: unknown } | number>
  for (const url of ['/join-reserved', '/join-over-cap', '/leave-bad', '/subscribe-bad']) {
    t.same(results[url], { status: 200, body: { ok: true } }, `${url}: the route answered as written`)
  }
  t.equal(results['/join-http'], 200, 'an HTTP route too')
  t.match(results['/awaited'], { status: 403, body: { code: 'FST_SOCKETS_ROOM_RESERVED' } }, 'an awaited join still rejects (a 403 JWR)')
  t.same(results['/caught'], { status: 200, body: { handled: 'FST_SOCKETS_ROOM_RESERVED' } }, '.catch() gets the error')
  t.same(results['/then-later'], { status: 200, body: { late: 'FST_SOCKETS_ROOM_RESERVED' } }, 'awaited after it rejected: still gets it')
  t.equal(results['/ok'], 200, 'the process still serves')

  const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine)
  const unawaited = lines.filter((line) => line.msg.includes('nobody awaited'))
  t.same(unawaited.map((line) => line.code).sort(), [
    'FST_SOCKETS_INVALID_ROOM', 'FST_SOCKETS_NOT_SOCKET_REQUEST', 'FST_SOCKETS_RESOURCE_ID_INVALID',
    'FST_SOCKETS_ROOM_LIMIT', 'FST_SOCKETS_ROOM_RESERVED', 'FST_SOCKETS_ROOM_RESERVED'
  ], 'one line per un-awaited rejection, with its code (the one awaited only 50 ms after it rejected too, as Node ' +
    'would have called it unhandled); none for the awaited or caught ones')
  t.ok(unawaited.every((line) => line.level === 50), 'logged as errors')
})

t.test('in process: no unhandled rejection, fulfilled promises stay quiet, a flood is thinned', async (t) => {
  const problems = watchProcess(t)
  const logged: LogLine[] = []
  const stream = { write: (line: string) => { logged.push(JSON.parse(line) as LogLine) } }
  const app = await buildApp(t, { reservedRoomPrefixes: ['admin:'] }, (app) => {
    app.get('/flood', async (request) => {
      for (let i = 0; i < 100; i++) app.sockets.join(request, `admin:${i}`)

      app.sockets.join(request, 'fine') // fulfils: nothing to say
      return { ok: true }
    })
  }, { logger: { level: 'warn', stream } })
  const socket = await connect(t, app)
  t.equal((await request(socket, 'get', '/flood')).statusCode, 200)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal((await request(socket, 'get', '/flood')).statusCode, 200, 'the app still answers')
  const lines = logged.filter((line) => line.msg.includes('nobody awaited'))
  t.ok(lines.length >= 10 && lines.length <= 20, `200 rejections cost ${lines.length} lines`)
  t.equal(lines.at(-1)?.unawaited, 128, 'the last one logged carries the running count')
  t.ok(app.sockets.io.of('/').sockets.values().next().value?.rooms.has('fine'), 'the good join applied')
  t.same(problems, [], 'no unhandled rejection, no uncaught exception')
})
