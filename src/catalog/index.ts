import { MODULE_CONTROLS, MOUNT_CONTROLS } from './kernel.js';
import {
  AUDIT_CONTROLS,
  BOOT_CONTROLS,
  CONTAINER_CONTROLS,
  DOCKER_CONTROLS,
  FIREWALL_CONTROLS,
  SECCOMP_CONTROLS,
} from './services.js';
import { SYSCTL_CONTROLS } from './sysctl.js';
import { SYSTEM_CONTROLS } from './system.js';
import type { Control, Level } from './types.js';

export type { Control, Level } from './types.js';

const ID_PATTERN = /^[a-z0-9_]+(\.[a-z0-9_./-]+)+$/;

/** Check the catalog once at load time, so a bad entry fails every test instead of one audit. */
function validate(controls: Control[]): Control[] {
  const seen = new Set<string>();
  for (const control of controls) {
    if (!ID_PATTERN.test(control.id)) throw new Error(`catalog: invalid control id ${control.id}`);
    if (seen.has(control.id)) throw new Error(`catalog: duplicate control id ${control.id}`);
    seen.add(control.id);
    for (const field of [control.title, control.rationale]) {
      if (field.en.trim() === '' || field.ja.trim() === '') throw new Error(`catalog: ${control.id} lacks English or Japanese text`);
    }
  }
  return controls;
}

/** Every control of the guide, in report order. */
export const CATALOG: readonly Control[] = validate([
  ...SYSTEM_CONTROLS,
  ...SYSCTL_CONTROLS,
  ...MOUNT_CONTROLS,
  ...MODULE_CONTROLS,
  ...FIREWALL_CONTROLS,
  ...AUDIT_CONTROLS,
  ...DOCKER_CONTROLS,
  ...BOOT_CONTROLS,
  ...SECCOMP_CONTROLS,
  ...CONTAINER_CONTROLS,
]);

/** Levels are cumulative: level 3 includes the controls of levels 1 and 2. */
export function controlsForLevel(level: Level): Control[] {
  return CATALOG.filter((control) => control.level <= level);
}
