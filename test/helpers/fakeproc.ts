import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Create a stand-in for /proc, for runtime facts a test cannot create on the real kernel without
 * changing this machine (listening sockets on public addresses, loaded modules, sysctl values).
 */
export function fakeProc(): {
  root: string;
  listen(ports: number[], address?: string): void;
  write(relative: string, content: string): void;
  remove(): void;
} {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-proc-'));
  const write = (relative: string, content: string): void => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };
  write('self/mounts', 'proc /proc proc rw 0 0\n');
  write('modules', '');
  return {
    root,
    write,
    /** TCP listeners on 0.0.0.0 (address `00000000`) unless another hex address is given. */
    listen(ports, address = '00000000') {
      const rows = ports.map((port, index) => `   ${index}: ${address}:${hexPort(port)} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${1000 + index} 1 0000000000000000 100 0 0 10 0\n`);
      write('net/tcp', TCP_HEADER + rows.join(''));
      write('net/tcp6', TCP_HEADER);
      write('net/udp', TCP_HEADER);
      write('net/udp6', TCP_HEADER);
    },
    remove() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
