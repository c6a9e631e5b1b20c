import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// A request/response channel over the IPC pipe of a forked child. The driver calls, the child answers;
// each call carries an id so answers may come back in any order.

export interface Call { id: number, cmd: string, args: unknown }
export interface Answer { id: number, ok: boolean, value?: unknown, error?: string }
export interface Hello { hello: true, value: unknown }

export type Handlers = Record<string, (args: any) => unknown>

/** Child side: answers the driver's calls with `handlers`, and says hello with `hello` once ready. */
export function serve (handlers: Handlers, hello: unknown): void {
  if (process.send === undefined) throw new Error('bench child started without an IPC channel')
  process.on('message', (message: Call) => {
    const handler = handlers[message.cmd]
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`unknown command '${message.cmd}'`)
        return handler(message.args)
      })
      .then((value) => { process.send?.({ id: message.id, ok: true, value } satisfies Answer) },
        (err: unknown) => { process.send?.({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Answer) })
  })
  // the channel must not keep a child alive once the driver is gone
  process.on('disconnect', () => process.exit(0))
  process.send({ hello: true, value: hello } satisfies Hello)
}

/** Driver side: a forked child and its calls. */
export class Child<H = unknown> {
  readonly proc: ChildProcess
  readonly name: string
  readonly ready: Promise<H>
  #next = 1
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, cmd: string }>()
  #exited: string | undefined

  /** `wrap`: a command the child's node runs under (`['valgrind', '--tool=callgrind', ...]`), its IPC channel kept. */
  constructor (name: string, module: string, argv: string[], execArgv: string[] = [], wrap: string[] = []) {
    this.name = name
    const file = fileURLToPath(new URL(module, import.meta.url))
    const node = ['--import', 'tsx', ...execArgv]
    this.proc = fork(file, argv, {
      ...(wrap.length === 0 ? { execArgv: node } : { execPath: wrap[0], execArgv: [...wrap.slice(1), process.execPath, ...node] }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    let ready!: (v: H) => void
    let failed!: (e: Error) => void
    this.ready = new Promise<H>((resolve, reject) => { ready = resolve; failed = reject })
    this.ready.catch(() => {}) // a caller awaiting it still sees the failure
    this.proc.on('message', (message: Answer | Hello) => {
      if ('hello' in message) return ready(message.value as H)
      const waiter = this.#waiting.get(message.id)
      if (waiter === undefined) return
      this.#waiting.delete(message.id)
      if (message.ok) waiter.resolve(message.value)
      else waiter.reject(new Error(`${this.name}: ${waiter.cmd} failed: ${message.error ?? 'unknown error'}`))
    })
    this.proc.on('exit', (code, signal) => {
      this.#exited = `${this.name} exited (code ${String(code)}, signal ${String(signal)})`
      const err = new Error(this.#exited)
      failed(err)
      for (const waiter of this.#waiting.values()) waiter.reject(err)
      this.#waiting.clear()
    })
  }

  call<T = unknown> (cmd: string, args: unknown = {}): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(new Error(this.#exited))
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, cmd })
      this.proc.send({ id, cmd, args } satisfies Call)
    })
  }

  /** Stops the child by its pid and waits for it to be gone. */
  async stop (): Promise<void> {
    if (this.#exited !== undefined || this.proc.exitCode !== null) return
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()))
    this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000)
    await gone
    clearTimeout(timer)
  }
}
