// socket.io's own client bundle (`/socket.io/socket.io.js`) is not served unless the app asks for it
// (socketio.serveClient: true), as in Sails: the plugin's bundle is the one a page loads.
import t from 'tap'
import { buildApp, urlOf } from '../helpers/app.js'
import { ensureBundle } from '../helpers/bundle.js'

const FILES = ['/socket.io/socket.io.js', '/socket.io/socket.io.min.js', '/socket.io/socket.io.esm.min.js', '/socket.io/socket.io.js.map']

t.test('by default no socket.io client file is served', async (t) => {
  const app = await buildApp(t)
  for (const file of FILES) {
    const res = await fetch(urlOf(app) + file)
    t.not(res.status, 200, `${file}: ${res.status}`)
    t.notMatch(await res.text(), /Socket\.IO v/, `${file}: not the bundle`)
  }
  ensureBundle()
  t.equal((await fetch(urlOf(app) + '/fastify-sockets.js')).status, 200, "the plugin's own bundle is")
})

t.test('socketio.serveClient: true serves it', async (t) => {
  const app = await buildApp(t, { socketio: { serveClient: true } })
  const res = await fetch(urlOf(app) + '/socket.io/socket.io.js')
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /javascript/)
  t.match(await res.text(), /Socket\.IO v4/)
})
