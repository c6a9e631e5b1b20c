// The chat example in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
// download): the page loads the plugin's browser bundle and talks sails.io.js style over io.socket.
import t from 'tap'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { buildChat } from '../../examples/chat/server.js'
import { ensureBundle } from '../helpers/bundle.js'
import { browserSkip, launch, WAIT } from '../helpers/browser.js'

t.test('two browser tabs in one room see each other\'s messages', { skip: browserSkip() }, async (t) => {
  ensureBundle()
  const app = await buildChat()
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`

  const browser = await launch(t)
  const errors: string[] = []

  async function open (name: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage()
    page.on('pageerror', (err) => errors.push(`${name}: ${err.message}`))
    await page.goto(url)
    await page.locator('#status', { hasText: 'connected' }).waitFor(WAIT)
    await page.fill('#name', name)
    return page
  }
  async function join (page: Page, room: string): Promise<void> {
    await page.click(`#rooms li[data-room="${room}"] button.join`)
    await page.locator('#log p', { hasText: `joined #${room}` }).waitFor(WAIT)
  }
  async function say (page: Page, text: string): Promise<void> {
    await page.fill('#text', text)
    await page.click('#send')
  }

  const alice = await open('alice')
  const bob = await open('bob')
  t.equal(await alice.evaluate(() => typeof (window as unknown as { io: { sails: unknown } }).io.sails), 'object', 'the sails.io.js globals are there')

  await join(alice, 'lobby')
  await join(bob, 'lobby')
  t.match(await bob.locator('#log p', { hasText: 'joined #lobby' }).textContent(), /2 here/, 'bob sees two members')

  await say(alice, 'hello from alice')
  await bob.locator('#log p', { hasText: '[#lobby] alice: hello from alice' }).waitFor(WAIT)
  await alice.locator('#log p.me', { hasText: 'hello from alice' }).waitFor(WAIT)
  await say(bob, 'hi alice')
  await alice.locator('#log p', { hasText: '[#lobby] bob: hi alice' }).waitFor(WAIT)
  t.pass('each tab shows the other\'s message')

  // Leaving: alice leaves the lobby; bob's next lobby message does not reach her.
  await alice.click('#rooms li[data-room="lobby"] button.leave')
  await alice.locator('#log p', { hasText: 'left #lobby' }).waitFor(WAIT)
  await say(bob, 'only in lobby')
  await bob.locator('#log p.me', { hasText: 'only in lobby' }).waitFor(WAIT)
  // The broadcast went out before bob's answer; a round trip of alice's own is written to her socket after it.
  await join(alice, 'random')
  t.equal(await alice.locator('#log p', { hasText: 'only in lobby' }).count(), 0, 'a room left is not heard')
  t.equal(await alice.locator('#rooms li.joined').count(), 1, 'the room list shows one joined room')

  if (process.env.CHAT_SCREENSHOT !== undefined) await bob.screenshot({ path: process.env.CHAT_SCREENSHOT })
  t.same(errors, [], 'no page errors')
})
