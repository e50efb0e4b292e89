/**
 * Network-up detection when there is no Electron `online` event to listen to: while the kiosk is offline, probe the
 * API's GET /health every `intervalMs` and call `onUp` once when it answers. In the Electron shell the host can also
 * call `wake('network-up')` on `online`.
 */
export function watchReachability(options: {
  probe: (signal: AbortSignal) => Promise<boolean>;
  intervalMs: number;
  onUp: () => void;
}): { stop(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    const up = await options.probe(controller.signal);
    if (controller.signal.aborted) return;
    if (up) {
      options.onUp();
      return;
    }
    timer = setTimeout(tick, options.intervalMs).unref();
  };
  timer = setTimeout(tick, options.intervalMs).unref();

  return {
    stop() {
      controller.abort();
      clearTimeout(timer);
    },
  };
}
