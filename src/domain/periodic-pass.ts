// A background pass every server process runs on a timer (the deposit settler, the key-expiry notices): one pass at a
// time, the next scheduled when the last ends, failures reported and retried at the next tick, and a stop that waits.
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pass()
        .then(() => undefined, this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
