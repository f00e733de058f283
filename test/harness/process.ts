/** A child process whose output goes to a log file, stopped on demand and at exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';

const running = new Set<ChildProcess>();
// Last resort: never leave services behind when the test process exits.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ManagedProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly cwd?: string;
}

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private readonly options: ManagedProcessOptions;

  constructor(options: ManagedProcessOptions) {
    this.options = options;
    this.name = options.name;
    this.logFile = options.logFile;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (again, after a stop), appending to its log. */
  start(): void {
    if (this.isRunning) throw new Error(`${this.name} is already running`);
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`\n--- start ${new Date().toISOString()} ${this.options.command} ${this.options.args.join(' ')}\n`);
    const child = spawn(this.options.command, [...this.options.args], {
      cwd: this.options.cwd,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        running.delete(child);
        log.end(`--- exit ${code ?? child.signalCode} ${new Date().toISOString()}\n`);
        resolve(code);
      });
    });
    this.child = child;
  }

  /** Sends a signal and waits for the exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.isRunning) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The log so far (for failure messages). */
  log(tailChars = 4000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-tailChars);
    } catch {
      return '';
    }
  }
}
