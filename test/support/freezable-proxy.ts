import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

/** One direction of a proxied connection: what arrived and is not yet passed on, a FIN last. */
interface Direction {
  readonly to: Socket;
  readonly held: (Buffer | 'end')[];
}

interface Link {
  readonly client: Socket;
  readonly server: Socket;
  readonly up: Direction;
  readonly down: Direction;
  /** Its server is gone for good (failOver): nothing passes either way again. */
  stranded: boolean;
  /** The end of what the client sent last, so that a marker split across two reads is still seen. */
  tail: string;
}

/**
 * A TCP proxy on 127.0.0.1, in front of PostgreSQL, that can stop forwarding without closing anything:
 * what a stopped server (SIGSTOP) or a network partition looks like to the client. While frozen, every
 * connection stays open and silent, old and new alike (the kernel of a stopped server still accepts them):
 * what either side sends is held, a close included, and nothing is answered. A thaw passes on what was held,
 * in order, as a stopped server reads its sockets' buffers when it resumes. Only this proxy's connections
 * are frozen: the PostgreSQL server behind it, which other test files share, never is.
 */
export class FreezableProxy {
  private readonly links = new Set<Link>();
  private frozen = false;
  private acceptedCount = 0;
  private trigger?: { marker: string; fired: () => void };

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  /** A proxy to the PostgreSQL that `databaseUrl` names. */
  static async start(databaseUrl: string): Promise<FreezableProxy> {
    const { hostname, port } = new URL(databaseUrl);
    const server = createServer({ allowHalfOpen: true });
    const proxy = new FreezableProxy(server, { host: hostname, port: Number(port || 5432) });
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `databaseUrl`, through the proxy. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Connections accepted so far, frozen or not. */
  get accepted(): number {
    return this.acceptedCount;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Passes on what was held, then forwards again. */
  thaw(): void {
    this.frozen = false;
    for (const link of this.links) {
      if (link.stranded) continue;
      for (const direction of [link.up, link.down]) {
        for (const item of direction.held.splice(0)) send(direction.to, item);
      }
    }
  }

  /**
   * Freezes the moment a client sends `marker` (a piece of a statement's text), before it reaches the
   * server: a freeze in the middle of that statement, or of the transaction it belongs to.
   */
  freezeOn(marker: string): Promise<void> {
    return new Promise((fired) => (this.trigger = { marker, fired }));
  }

  /**
   * The server behind the open connections is gone for good, without a word (a failover, a partition
   * that never heals): those connections never carry another byte, while new ones reach PostgreSQL again.
   * Their sessions on the real server are ended, as a dead server's are.
   */
  failOver(): void {
    for (const link of this.links) {
      link.stranded = true;
      link.up.held.length = 0;
      link.down.held.length = 0;
      link.server.destroy();
    }
    this.frozen = false;
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.server.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    this.acceptedCount++;
    const server = connect({ ...this.target, allowHalfOpen: true });
    const link: Link = {
      client,
      server,
      up: { to: server, held: [] },
      down: { to: client, held: [] },
      stranded: false,
      tail: '',
    };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => {
      this.checkTrigger(link, chunk);
      this.pass(link, link.up, chunk);
    });
    server.on('data', (chunk: Buffer) => this.pass(link, link.down, chunk));
    // A reset counts as a close: what a frozen peer would see of either when it resumes.
    for (const [socket, direction] of [
      [client, link.up],
      [server, link.down],
    ] as const) {
      socket.on('end', () => this.pass(link, direction, 'end'));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.pass(link, direction, 'end');
        if (client.destroyed && server.destroyed) this.links.delete(link);
      });
    }
  }

  private pass(link: Link, direction: Direction, item: Buffer | 'end'): void {
    // Nothing, a close included: the client's side stays open and silent until the client destroys it.
    if (link.stranded) return;
    if (this.frozen || direction.held.length > 0) direction.held.push(item);
    else send(direction.to, item);
  }

  private checkTrigger(link: Link, chunk: Buffer): void {
    const text = link.tail + chunk.toString('latin1');
    link.tail = text.slice(-200);
    if (this.trigger && text.includes(this.trigger.marker)) {
      this.frozen = true;
      this.trigger.fired();
      this.trigger = undefined;
    }
  }
}

function send(to: Socket, item: Buffer | 'end'): void {
  if (to.destroyed) return;
  if (item === 'end') to.end(() => to.destroy());
  else to.write(item);
}
