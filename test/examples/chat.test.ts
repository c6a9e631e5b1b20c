// The chat example (`npm start`) as a newcomer sees it, in headless Chromium: rooms joined and switched by
// clicking, who is in each room kept live, unread counts, and a page that loads without a failed request.
import t from 'tap'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { buildChat } from '../../examples/chat/server.js'
import { connect, request, type Teardown } from '../helpers/app.js'
import { ensureBundle } from '../helpers/bundle.js'
import { browserSkip, launch, WAIT } from '../helpers/browser.js'

async function startChat (t: Teardown): Promise<{ app: Awaited<ReturnType<typeof buildChat>>, url: string }> {
  const app = await buildChat()
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/` }
}

t.test('the chat routes are for sockets, and a room must be joined before speaking in it', async (t) => {
  const { app, url } = await startChat(t)
  const http = await fetch(`${url}rooms/lobby/members`, { method: 'PUT' })
  t.equal(http.status, 400)
  t.same(await http.json(), { error: 'socket only' })
  const socket = await connect(t, app)
  t.match(await request(socket, 'post', '/rooms/lobby/messages', { text: 'hi' }), { statusCode: 403, body: { error: 'join #lobby first' } })
  t.match(await request(socket, 'put', '/me', { name: 'ada' }), { statusCode: 200, body: { name: 'ada' } })
  t.match(await request(socket, 'put', '/rooms/lobby/members'), { statusCode: 200, body: { joined: 'lobby', members: ['ada'] } })
  t.match(await request(socket, 'post', '/rooms/lobby/messages', { text: 'hi' }), { statusCode: 201, body: { room: 'lobby', from: 'ada', text: 'hi' } })
  t.match(await request(socket, 'put', '/rooms/NOPE/members'), { statusCode: 400 }, 'room names are checked by the route schema')
})

t.test('two people in Chromium: rooms by click, live members, unread counts', { skip: browserSkip() }, async (t) => {
  ensureBundle()
  const { url } = await startChat(t)
  const browser: Browser = await launch(t)
  const problems: string[] = []

  async function open (name: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 640 } })).newPage()
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`))
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`${name} console: ${message.text()}`) })
    page.on('response', (response) => { if (response.status() >= 400) problems.push(`${name}: ${response.status()} ${response.url()}`) })
    await page.goto(url)
    await page.locator('#status.connected').waitFor(WAIT)
    await page.fill('#name', name)
    await page.press('#name', 'Tab') // the name is sent on change
    return page
  }
  const members = async (page: Page, names: string[]): Promise<void> => {
    await page.waitForFunction((want) => Array.from(document.querySelectorAll('#members li'), (li) => li.textContent).join(',') === want,
      names.join(','), WAIT)
  }
  const title = async (page: Page, text: string): Promise<void> => {
    await page.locator('#title', { hasText: text }).waitFor(WAIT)
  }
  async function say (page: Page, text: string): Promise<void> {
    await page.fill('#text', text)
    await page.click('#send')
    await page.locator('.pane.current p.me', { hasText: text }).waitFor(WAIT)
  }

  const alice = await open('alice')
  const bob = await open('bob')
  t.match(await alice.getAttribute('link[rel=icon]', 'href'), /^data:image\/svg\+xml,/, 'the favicon is inline: no /favicon.ico request')

  await alice.click('#rooms li[data-room="lobby"] button.join')
  await title(alice, '#lobby')
  await members(alice, ['alice'])
  await bob.click('#rooms li[data-room="lobby"] button.join')
  await members(bob, ['alice', 'bob'])
  await members(alice, ['alice', 'bob'])
  await alice.locator('.pane.current p.info', { hasText: 'bob joined' }).waitFor(WAIT)
  t.pass('both see who is in #lobby, updated as people join')

  await alice.click('#rooms li[data-room="random"] button.join')
  await title(alice, '#random')
  await members(alice, ['alice'])
  t.equal(await alice.locator('#rooms li.joined').count(), 2, 'alice is in two rooms')
  t.equal(await alice.locator('#rooms li.current').getAttribute('data-room'), 'random', 'and shows the one she clicked')

  await say(bob, 'anyone in the lobby?')
  await alice.locator('#rooms li[data-room="lobby"] .badge', { hasText: '1' }).waitFor(WAIT)
  t.equal(await alice.locator('.pane.current p', { hasText: 'anyone in the lobby?' }).count(), 0, 'a message to another room waits behind its unread count')

  await alice.click('#rooms li[data-room="lobby"] button.open')
  await title(alice, '#lobby')
  await alice.locator('.pane.current p', { hasText: 'bob: anyone in the lobby?' }).waitFor(WAIT)
  t.equal(await alice.locator('#rooms li[data-room="lobby"] .badge').count(), 0, 'switching back shows it and clears the count')
  await members(alice, ['alice', 'bob'])

  await bob.fill('#name', 'robert')
  await bob.press('#name', 'Tab')
  await members(alice, ['alice', 'robert'])
  await alice.locator('.pane.current p.info', { hasText: 'bob is now robert' }).waitFor(WAIT)
  t.pass('a rename reaches the member list of every room the socket is in')

  await alice.fill('#room-name', 'dev-ops')
  await alice.press('#room-name', 'Enter')
  await title(alice, '#dev-ops')
  t.equal(await alice.locator('#rooms li[data-room="dev-ops"].current').count(), 1, 'a room made by name joins the list')
  if (process.env.EXAMPLE_SCREENSHOTS !== undefined) {
    await alice.click('#rooms li[data-room="lobby"] button.open')
    await alice.screenshot({ path: `${process.env.EXAMPLE_SCREENSHOTS}/chat.png` })
  }

  await bob.context().close()
  await alice.click('#rooms li[data-room="lobby"] button.open')
  await members(alice, ['alice'])
  await alice.locator('.pane.current p.info', { hasText: 'robert left' }).waitFor(WAIT)
  t.pass('closing a tab takes its person out of the room')

  await alice.click('#rooms li[data-room="lobby"] button.leave')
  await title(alice, '#random')
  t.same(await alice.locator('#rooms li.joined').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.room)), ['random', 'dev-ops'])
  t.same(problems, [], 'no page error, console error or failed request (no favicon 404)')
})
