// A bare TCP peer for the server tests: writes raw bytes, collects the frames it gets back.
import { connect, type Socket } from 'node:net';
import { DecodeError, FrameDecoder, type Frame } from '../codec/index.ts';

export class RawPeer {
  private decoder = new FrameDecoder();
  frames: Frame[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (c) => {
      for (const f of this.decoder.push(c)) if (!(f instanceof DecodeError)) this.frames.push(f);
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => {});
  }
  /** `localAddress` (e.g. 127.0.0.2: all of 127/8 is loopback on Linux) poses as another host. */
  static async open(port: number, localAddress?: string): Promise<RawPeer> {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    await new Promise((r) => s.once('connect', r));
    return new RawPeer(s);
  }
  async waitClosed(ms = 5000): Promise<void> {
    await this.waitFor(() => this.closed, ms);
  }
  async waitFor(pred: (frames: Frame[]) => boolean, ms = 5000): Promise<void> {
    const until = Date.now() + ms;
    while (!pred(this.frames)) {
      if (Date.now() > until) throw new Error(`timed out; got commands ${this.frames.map((f) => f.command).join(',')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}
