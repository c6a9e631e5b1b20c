import t from 'tap'
import { buildApp, connect, request, waitFor } from '../helpers/app.js'

t.test('socket requests are logged like HTTP ones, with the socket id and without secrets', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const stream = { write: (line: string) => { raw.push(line); lines.push(JSON.parse(line)) } }
  const app = await buildApp(t, {}, (app) => {
    app.get('/hello', async (request) => { request.log.info('in the handler'); return { ok: true } })
  }, { logger: { level: 'info', stream } })
  const socket = await connect(t, app, { extraHeaders: { cookie: 'sid=cookie-secret-1', authorization: 'Bearer handshake-secret-2' } })
  const id = (await request(socket, 'get', '/hello', { token: 'x' }, { authorization: 'Bearer request-secret-3' })).statusCode
  t.equal(id, 200)
  // "request completed" is logged from onResponse, after the ack went out: wait for it rather than sleep
  await waitFor(() => lines.some((line) => line.msg === 'request completed'), 'the \'request completed\' line')
  const socketId = app.sockets.io.of('/').sockets.keys().next().value
  const incoming = lines.find((line) => line.msg === 'incoming request')
  t.match(incoming, { req: { method: 'GET', url: '/hello?token=x', remoteAddress: '127.0.0.1' } }, 'incoming request line as for HTTP')
  t.match(lines.find((line) => line.msg === 'in the handler'), { socketId }, 'handler lines carry socketId')
  t.match(lines.find((line) => line.msg === 'request completed'), { socketId, res: { statusCode: 200 } }, 'completion line carries socketId')
  const all = raw.join('\n')
  for (const secret of ['cookie-secret-1', 'handshake-secret-2', 'request-secret-3']) {
    t.notOk(all.includes(secret), `${secret} is not logged`)
  }
})
