/** Progress lines on stderr, so stdout keeps only the table. */
export class Progress {
  private readonly started = Date.now();
  step = 0;

  constructor(private readonly steps: number) {}

  log(text: string): void {
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const clock = `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
    process.stderr.write(`[${String(this.step).padStart(2)}/${this.steps} ${clock}] ${text}\n`);
  }
}
