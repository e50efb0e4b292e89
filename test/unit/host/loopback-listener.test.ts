import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, type LoopbackListener } from '../../../electron/host/loopback-listener.ts';

let listener: LoopbackListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

describe('the loopback listener a browser is started on before the host has loaded', () => {
  it('holds a request that arrives before anything answers, and answers it once the host is there', async () => {
    listener = await listenOnLoopback();
    expect(listener.origin).toBe(`http://127.0.0.1:${listener.port}`);
    const early = fetch(`${listener.origin}/index.html`);
    const settled = await Promise.race([early.then(() => 'answered', () => 'refused'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 200))]);
    expect(settled).toBe('waiting');

    listener.answerWith((_request, response) => response.end('the kiosk'));
    const response = await early;
    expect(await response.text()).toBe('the kiosk');
    expect(await (await fetch(`${listener.origin}/later`)).text()).toBe('the kiosk');
  });

  it('listens on 127.0.0.1 only', async () => {
    listener = await listenOnLoopback();
    listener.answerWith((_request, response) => response.end('ok'));
    await expect(fetch(`http://[::1]:${listener.port}/`)).rejects.toThrow();
  });
});
