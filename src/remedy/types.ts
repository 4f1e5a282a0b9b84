import type { Control } from '../catalog/types.js';
import type { Text } from '../core/text.js';
import type { Profile } from '../profile/profile.js';
import type { OverlayRootFs } from '../target/overlay.js';
import type { Target } from '../target/target.js';

/** A change to the running system that follows the file changes on a live host. */
export type RuntimeStep =
  | { kind: 'sysctl'; key: string; value: string; controlId: string }
  | { kind: 'remount'; mountpoint: string; options: string[]; controlId: string }
  | { kind: 'service-stop'; service: string; controlId: string }
  | { kind: 'service-start'; service: string; controlId: string }
  | { kind: 'sshd-reload'; controlId: string };

export interface PlanNote {
  controlId?: string;
  severity: 'info' | 'warning';
  message: Text;
}

/** Input of a remedy: the target seen through the overlay of pending changes, and the plan's notes and steps. */
export interface RemedyContext {
  overlay: OverlayRootFs;
  /** The target with `fs` replaced by the overlay. */
  target: Target;
  profile: Profile;
  /** The real target is the live host (runtime steps are planned only then). */
  live: boolean;
  notes: PlanNote[];
  runtime: RuntimeStep[];
  /** Models shared with the plan's audits (the file scan), so the tree is walked once. */
  shared: Map<string, unknown>;
}

/** Bring every given control (all of one check kind, all failing) to a passing state by editing files in the overlay. */
export type Remedy = (controls: Control[], context: RemedyContext) => void;

/** Line ending of a file's text: CRLF when its first line ends with one, LF otherwise. */
export function lineEndingOf(source: string): string {
  const end = source.indexOf('\n');
  return end > 0 && source[end - 1] === '\r' ? '\r\n' : '\n';
}

/** Append lines in the file's own line ending, starting on a line of their own. */
export function appendLines(source: string, lines: string[], eol = lineEndingOf(source)): string {
  const start = source === '' || source.endsWith('\n') ? source : `${source}${eol}`;
  return start + lines.map((line) => `${line}${eol}`).join('');
}
