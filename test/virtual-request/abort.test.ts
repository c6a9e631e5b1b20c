// A virtual request whose answer nobody awaits any more (its deadline passed, its socket left) is aborted as an
// HTTP request whose client hangs up: request.signal aborts, onRequestAbort hooks run. In both dispatch modes.
import t from 'tap'
import { buildApp, connect, request, waitFor } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'

for (const dispatch of MODES) {
  t.test(`${dispatch}: past its deadline, a request gets a 504 and its route sees request.signal abort`, async (t) => {
    const seen: string[] = []
    const app = await buildApp(t, { dispatch, requestTimeout: 300 }, (app) => {
      app.get('/slow', {
        onRequestAbort: async () => { seen.push('onRequestAbort') }
      }, async (request) => await new Promise((resolve) => {
        request.signal.addEventListener('abort', () => { seen.push('signal'); resolve({ late: true }) })
      }))
    })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'get', '/slow')
    t.match(jwr, { statusCode: 504, body: { code: 'FST_SOCKETS_REQUEST_TIMEOUT' } })
    await waitFor(() => seen.length === 2, 'the route to see the abort', 5000)
    t.same(seen.sort(), ['onRequestAbort', 'signal'])
  })

  t.test(`${dispatch}: a socket that leaves mid-request aborts it`, async (t) => {
    const seen: string[] = []
    let started!: () => void
    const running = new Promise<void>((resolve) => { started = resolve })
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/wait', async (request) => await new Promise((resolve) => {
        request.signal.addEventListener('abort', () => { seen.push('signal'); resolve({}) })
        started()
      }))
    })
    const socket = await connect(t, app)
    socket.emit('get', { method: 'get', url: '/wait', headers: {} }, () => { seen.push('acked') })
    await running
    socket.disconnect()
    await waitFor(() => seen.includes('signal'), 'the route to see the abort', 5000)
    t.same(seen, ['signal'], 'aborted, and no ack for a socket that left')
  })
}
