// A full-screen terminal view: the alternate screen, cursor hidden, redrawn in place; q or Ctrl-C quits; restore() undoes it all, once.

export const ENTER_ALT_SCREEN = '\u001B[?1049h';
export const LEAVE_ALT_SCREEN = '\u001B[?1049l';
export const HIDE_CURSOR = '\u001B[?25l';
export const SHOW_CURSOR = '\u001B[?25h';
const CURSOR_HOME = '\u001B[H';
const CLEAR_TO_LINE_END = '\u001B[K';
const CLEAR_BELOW = '\u001B[J';
const CTRL_C = '\u0003';
const ESCAPE_SEQUENCE = /\u001B\[[0-9;?]*[A-Za-z]/y;

export class TerminalScreen {
  private lastLines: readonly string[] = [];
  private isOpen = false;
  private readonly onData = (chunk: Buffer | string): void => {
    const keys = chunk.toString();
    if (keys.includes('q') || keys.includes('Q') || keys.includes(CTRL_C)) this.onQuit();
  };
  private readonly onResize = (): void => this.draw(this.lastLines);
  // A last resort: should the process exit without restore() (an uncaught error), the shell still gets its screen back.
  private readonly onExit = (): void => this.restore();

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    private readonly onQuit: () => void,
  ) {}

  open(): void {
    this.isOpen = true;
    process.once('exit', this.onExit);
    this.output.write(ENTER_ALT_SCREEN + HIDE_CURSOR);
    this.output.on('resize', this.onResize);
    if (this.input.isTTY) {
      this.input.setRawMode(true);
      this.input.on('data', this.onData);
      this.input.resume();
    }
  }

  /** Redraws in place: each line cut to the terminal's width and cleared to its end, then everything below cleared. */
  draw(lines: readonly string[]): void {
    if (!this.isOpen) return;
    this.lastLines = lines;
    const columns = this.output.columns > 0 ? this.output.columns : 80;
    const rows = this.output.rows > 0 ? this.output.rows : 24;
    const visible = lines.slice(0, rows).map((line) => truncateVisible(line, columns) + CLEAR_TO_LINE_END);
    // The terminal's own output processing (ONLCR, left on by raw mode) turns each \n into \r\n.
    this.output.write(CURSOR_HOME + visible.join('\n') + CLEAR_BELOW);
  }

  /** Raw mode off, input released, alternate screen left, cursor shown; safe to call more than once. */
  restore(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    process.removeListener('exit', this.onExit);
    this.output.removeListener('resize', this.onResize);
    if (this.input.isTTY) {
      this.input.removeListener('data', this.onData);
      try {
        this.input.setRawMode(false);
      } catch {
        // The terminal is already gone (hung up); nothing to restore there.
      }
      this.input.pause();
    }
    this.output.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
  }
}

/** Cuts a line to `columns` visible characters, escape sequences kept whole and not counted; a cut line ends with a reset. */
export function truncateVisible(line: string, columns: number): string {
  let visible = 0;
  let index = 0;
  let hasEscapes = false;
  while (index < line.length) {
    ESCAPE_SEQUENCE.lastIndex = index;
    const escape = ESCAPE_SEQUENCE.exec(line);
    if (escape) {
      hasEscapes = true;
      index += escape[0].length;
      continue;
    }
    if (visible === columns) return line.slice(0, index) + (hasEscapes ? '\u001B[0m' : '');
    visible += 1;
    index += 1;
  }
  return line;
}
