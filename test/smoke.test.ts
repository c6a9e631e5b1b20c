import t from 'tap'
import { buildApp, connect, request } from './helpers/app.js'

t.test('a route answers a socket request', async (t) => {
  const app = await buildApp(t, {}, (app) => { app.get('/hello', async (req) => ({ isSocket: req.isSocket })) })
  const socket = await connect(t, app)
  const jwr = await request(socket, 'get', '/hello')
  t.same(jwr.body, { isSocket: true })
  t.equal(jwr.statusCode, 200)
})
