import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';

/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven over the Chrome DevTools Protocol on a
 * WebSocket: enough to load pages, read the DOM, click, type and take screenshots. The browser runs
 * in its own process group with a fresh profile, so close() takes every one of its processes down.
 */
export class Browser {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Set<(method: string, params: Record<string, unknown>, sessionId?: string) => void>();

  private constructor(
    private readonly proc: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        for (const l of this.#listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    });
  }

  static async launch(): Promise<Browser> {
    const profile = await mkdtemp(join(tmpdir(), 'berth-chromium-'));
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ];
    const proc = spawn('/usr/bin/chromium', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`chromium printed no DevTools URL within 30 s: ${err}`)), 30_000);
      proc.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(m[1] as string);
        }
      });
      proc.once('exit', (code) => (clearTimeout(t), reject(new Error(`chromium exited with ${code}: ${err}`))));
    });
    proc.stderr?.resume();
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
    return new Browser(proc, ws, profile);
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** The next event `method` of `sessionId` (registered before the action that causes it). */
  waitFor(method: string, sessionId: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => (this.#listeners.delete(l), reject(new Error(`no ${method} within ${timeoutMs} ms`))), timeoutMs);
      const l = (m: string, p: Record<string, unknown>, s?: string): void => {
        if (m !== method || s !== sessionId) return;
        clearTimeout(t);
        this.#listeners.delete(l);
        resolve(p);
      };
      this.#listeners.add(l);
    });
  }

  async newPage(width = 1200, height = 900): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    await this.send('Page.enable', {}, sessionId);
    await this.send('Runtime.enable', {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    return new Page(this, sessionId);
  }

  async close(): Promise<void> {
    const exited = this.proc.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => this.proc.once('exit', () => r()));
    await Promise.race([this.send('Browser.close').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    const t = setTimeout(() => {
      // Its own process group: the renderer and zygote children go too.
      if (this.proc.pid !== undefined) {
        try {
          process.kill(-this.proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, 5000);
    await exited;
    clearTimeout(t);
    this.ws.close();
    await rm(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly session: string,
  ) {}

  /** Runs an action that navigates (a click, Enter, navigate) and waits for the new page's load event. */
  async navigation(action: () => Promise<unknown>): Promise<void> {
    const loaded = this.browser.waitFor('Page.loadEventFired', this.session);
    await action();
    await loaded;
  }

  goto(url: string): Promise<void> {
    return this.navigation(async () => {
      const r = await this.browser.send<{ errorText?: string }>('Page.navigate', { url }, this.session);
      if (r.errorText) throw new Error(`cannot load ${url}: ${r.errorText}`);
    });
  }

  /** The value of a JavaScript expression evaluated in the page (must be JSON-serialisable). */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.browser.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      this.session,
    );
    if (r.exceptionDetails) throw new Error(`page script failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A real mouse click (pressed and released) at the middle of the first element `selector` matches. */
  async click(selector: string): Promise<void> {
    const box = await this.eval<{ x: number; y: number } | null>(
      `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null; e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`,
    );
    if (!box) throw new Error(`nothing matches ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.browser.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 }, this.session);
    }
  }

  /** Focuses `selector` by clicking it and types `text` as keyboard input. */
  async type(selector: string, text: string): Promise<void> {
    await this.click(selector);
    for (const ch of text) {
      await this.browser.send('Input.dispatchKeyEvent', { type: 'keyDown', text: ch, key: ch, unmodifiedText: ch }, this.session);
      await this.browser.send('Input.dispatchKeyEvent', { type: 'keyUp', key: ch }, this.session);
    }
  }

  async press(key: 'Enter'): Promise<void> {
    const common = { key, code: key, windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
    await this.browser.send('Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', ...common }, this.session);
    await this.browser.send('Input.dispatchKeyEvent', { type: 'keyUp', ...common }, this.session);
  }

  /** A PNG of the whole page (not only the viewport). */
  async screenshot(): Promise<Buffer> {
    const { data } = await this.browser.send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, this.session);
    return Buffer.from(data, 'base64');
  }
}
