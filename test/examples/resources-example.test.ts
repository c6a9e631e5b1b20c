import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { connect, request, nextEvent, urlOf, type Teardown } from '../helpers/app.js'
import { buildResources } from '../../examples/resources/server.js'
import { browserSkip, launch } from '../helpers/browser.js'

async function startExample (t: Teardown): Promise<FastifyInstance> {
  const app = await buildResources()
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

t.test('the example: two sockets see each other\'s changes', async (t) => {
  const app = await startExample(t)
  const [one, two] = await Promise.all([connect(t, app), connect(t, app)])
  t.same((await request(one, 'get', '/user')).body, [{ id: 0, name: 'Ada' }, { id: 1, name: 'Grace' }])
  t.equal((await request(two, 'get', '/user')).statusCode, 200)

  const created = nextEvent(one, 'user')
  t.same((await request(two, 'post', '/user', { name: 'Linus' })).body, { id: 2, name: 'Linus' })
  t.same(await created, { verb: 'created', id: 2, data: { id: 2, name: 'Linus' } })

  const waved = nextEvent(two, 'user')
  t.same((await request(one, 'post', '/user/0/wave')).body, { waved: 0 })
  t.same(await waved, { verb: 'waved', id: 0 }, 'a custom publish on the same resource')

  const page = await fetch(urlOf(app))
  t.equal(page.status, 200)
  t.match(await page.text(), /socket\.io\/socket\.io\.js/)
  const client = await fetch(urlOf(app) + '/socket.io/socket.io.js')
  t.equal(client.status, 200, 'socket.io serves the page\'s client')
  t.match(await client.text(), /socket\.io/, 'read to the end, so the connection is idle when the app closes')
})

t.test('the example page in two Chromium tabs', { skip: browserSkip() }, async (t) => {
  const app = await startExample(t)
  const browser = await launch(t)
  const context = await browser.newContext()
  const [tab1, tab2] = await Promise.all([context.newPage(), context.newPage()])
  const names = (page: typeof tab1, expected: string[]) => page.waitForFunction(
    (want) => Array.from(document.querySelectorAll('#users .name')).map((el) => el.textContent).join(',') === want,
    expected.join(','), { timeout: 15_000 })

  for (const tab of [tab1, tab2]) {
    await tab.goto(urlOf(app))
    await names(tab, ['Ada', 'Grace'])
    await tab.waitForFunction(() => document.getElementById('status')?.textContent === 'live', null, { timeout: 15_000 })
  }

  await tab1.fill('#new-name', 'Linus')
  await tab1.click('#add button')
  await names(tab1, ['Ada', 'Grace', 'Linus'])
  await names(tab2, ['Ada', 'Grace', 'Linus'])
  t.pass('a user added in tab 1 appears in tab 2')

  tab2.once('dialog', (dialog) => { void dialog.accept('Hopper') })
  await tab2.click('li[data-id="1"] .rename')
  await names(tab2, ['Ada', 'Hopper', 'Linus'])
  await names(tab1, ['Ada', 'Hopper', 'Linus'])
  t.pass('a rename in tab 2 shows in tab 1')

  await tab1.click('li[data-id="0"] .delete')
  await names(tab1, ['Hopper', 'Linus'])
  await names(tab2, ['Hopper', 'Linus'])
  t.pass('a user deleted in tab 1 disappears from tab 2 (id 0)')
})
