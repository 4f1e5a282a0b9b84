import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';

/**
 * Two network namespaces joined by a veth pair, for tests that send real packets through a
 * firewall. The host's own namespace is never touched. Addresses come only from the
 * benchmarking ranges 198.18.0.0/15 and 2001:2::/48.
 */

export const SERVER_V4 = '198.18.0.1';
export const CLIENT_V4 = '198.18.0.2';
/** A second address on the client, to play a different source. */
export const OTHER_CLIENT_V4 = '198.18.0.3';
export const SERVER_V6 = '2001:2::1';
export const CLIENT_V6 = '2001:2::2';
export const OTHER_CLIENT_V6 = '2001:2::3';

/** Tell why network namespaces cannot be used, or return undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'ip netns is not usable here';
}

const UDP_ECHO_SERVER = `
import select, socket, sys
port = int(sys.argv[1])
ipv4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ipv4.bind(('0.0.0.0', port))
ipv6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
ipv6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
ipv6.bind(('::', port))
while True:
    for ready in select.select([ipv4, ipv6], [], [])[0]:
        data, peer = ready.recvfrom(2048)
        ready.sendto(b'pong\\n', peer)
`;

let counter = 0;

export class TestNetwork {
  readonly server: string;
  readonly client: string;
  private readonly serverLink: string;
  private readonly clientLink: string;
  private readonly children: ChildProcess[] = [];

  /** Create both namespaces; `tag` keeps names apart when one test file builds several networks. */
  constructor(tag: string) {
    counter++;
    const id = `${process.pid}-${counter}`;
    this.server = `kh-${tag}-s-${id}`;
    this.client = `kh-${tag}-c-${id}`;
    // Interface names have at most 15 bytes.
    this.serverLink = `khs${process.pid % 100000}${counter}`.slice(0, 15);
    this.clientLink = `khc${process.pid % 100000}${counter}`.slice(0, 15);

    run('ip', ['netns', 'add', this.server]);
    run('ip', ['netns', 'add', this.client]);
    run('ip', ['link', 'add', this.serverLink, 'netns', this.server, 'type', 'veth', 'peer', 'name', this.clientLink, 'netns', this.client]);
    for (const [namespace, link] of [[this.server, this.serverLink], [this.client, this.clientLink]] as const) {
      run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', namespace, 'link', 'set', link, 'up']);
    }
    run('ip', ['-n', this.server, 'addr', 'add', `${SERVER_V4}/24`, 'dev', this.serverLink]);
    run('ip', ['-n', this.client, 'addr', 'add', `${CLIENT_V4}/24`, 'dev', this.clientLink]);
    run('ip', ['-n', this.client, 'addr', 'add', `${OTHER_CLIENT_V4}/24`, 'dev', this.clientLink]);
    // nodad: the addresses are usable at once instead of after duplicate address detection.
    // No static neighbour entries are added, so IPv6 traffic depends on neighbour discovery.
    run('ip', ['-n', this.server, 'addr', 'add', `${SERVER_V6}/64`, 'dev', this.serverLink, 'nodad']);
    run('ip', ['-n', this.client, 'addr', 'add', `${CLIENT_V6}/64`, 'dev', this.clientLink, 'nodad']);
    run('ip', ['-n', this.client, 'addr', 'add', `${OTHER_CLIENT_V6}/64`, 'dev', this.clientLink, 'nodad']);
  }

  /** Run a program inside a namespace and wait for it. */
  exec(namespace: string, program: string, args: string[], input?: string): SpawnSyncReturns<string> {
    return spawnSync('ip', ['netns', 'exec', namespace, program, ...args], {
      encoding: 'utf8',
      ...(input === undefined ? {} : { input }),
    });
  }

  /** Run a program inside a namespace and fail the test when it exits non-zero. */
  must(namespace: string, program: string, args: string[], input?: string): string {
    const result = this.exec(namespace, program, args, input);
    if (result.status !== 0) {
      throw new Error(`${program} ${args.join(' ')} in ${namespace} failed (exit ${String(result.status)}): ${result.stderr}`);
    }
    return result.stdout;
  }

  /** Start a TCP listener on the server that accepts on IPv4 and IPv6 and closes each connection. */
  listen(port: number): void {
    const child = spawn('ip', ['netns', 'exec', this.server, 'socat', `TCP6-LISTEN:${port},fork,reuseaddr,ipv6only=0`, 'SYSTEM:true'], {
      stdio: 'ignore',
    });
    this.children.push(child);
  }

  /**
   * Start a UDP server on the server that replies "pong" to every datagram, on IPv4 and IPv6.
   * It is a Python loop because socat's forking UDP server loses datagrams that arrive while
   * the child for the previous one still runs.
   */
  listenUdp(port: number): void {
    const child = spawn('ip', ['netns', 'exec', this.server, '/usr/bin/python3', '-c', UDP_ECHO_SERVER, String(port)], { stdio: 'ignore' });
    this.children.push(child);
  }

  /** Send one UDP datagram from the client and return the reply, or '' when none comes within 2 s. */
  sendUdp(destination: string, port: number): string {
    const address = destination.includes(':') ? `UDP6:[${destination}]:${port}` : `UDP4:${destination}:${port}`;
    // -t: after stdin ends, socat waits this long for the reply (default 0.5 s, too short while
    // neighbour discovery runs).
    return this.exec(this.client, 'socat', ['-t2', '-T2', '-', address], 'ping\n').stdout.trim();
  }

  /** Wait until `sockets` sockets listen on the port of the server, checking at most `tries` times. */
  waitForListener(port: number, tries = 50, protocol: 'tcp' | 'udp' = 'tcp', sockets = 1): void {
    for (let i = 0; i < tries; i++) {
      const listing = this.exec(this.server, 'ss', [protocol === 'tcp' ? '-Htln' : '-Huln', `sport = :${port}`]).stdout;
      if (listing.split('\n').filter((line) => line.trim() !== '').length >= sockets) return;
      spawnSync('sleep', ['0.1']);
    }
    throw new Error(`nothing listens on port ${port} in ${this.server}`);
  }

  /**
   * Open a TCP connection from the client and close it. Returns `connected`, `refused` or
   * `timed-out` (no reply within `waitSeconds`).
   */
  connect(source: string, destination: string, port: number, waitSeconds = 2): 'connected' | 'refused' | 'timed-out' {
    const family = destination.includes(':') ? '-6' : '-4';
    const result = this.exec(this.client, 'nc', [family, '-z', '-v', '-w', String(waitSeconds), '-s', source, destination, String(port)]);
    if (result.status === 0) return 'connected';
    return /refused/i.test(result.stderr) ? 'refused' : 'timed-out';
  }

  close(): void {
    for (const child of this.children) child.kill('SIGTERM');
    spawnSync('ip', ['netns', 'del', this.server]);
    spawnSync('ip', ['netns', 'del', this.client]);
  }
}

function run(program: string, args: string[]): void {
  const result = spawnSync(program, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (exit ${String(result.status)}): ${result.stderr}`);
}
