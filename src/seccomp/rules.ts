import { ARCHES, NATIVE_ARCHES, syscallNumber } from './arch.js';
import type { ArchInfo } from './arch.js';
import { ALLOW_ACTIONS } from './profile.js';
import type { RuleFilter, SeccompArg, SeccompProfile, SeccompRule } from './profile.js';

/**
 * What decides whether a rule with `includes`/`excludes` applies: the container's capabilities
 * and the kernel version. Docker's semantics: every capability in `includes.caps` must be held,
 * any capability in `excludes.caps` drops the rule.
 */
export interface RuleEnvironment {
  caps: ReadonlySet<string>;
  /** [major, minor]; undefined counts every `minKernel` as met. */
  kernel?: [number, number];
}

/** A rule as it applies to one system call on one architecture. */
export interface Entry {
  rule: SeccompRule;
  action: string;
  /** errno for SCMP_ACT_ERRNO, message data for SCMP_ACT_TRACE. */
  errno: number;
  args: SeccompArg[];
}

/** EPERM, what runtimes return for SCMP_ACT_ERRNO without errnoRet. */
export const DEFAULT_ERRNO = 1;

/** Lists the profile's architectures, with archMap entries and their subarchitectures. */
export function listedArches(profile: SeccompProfile): string[] {
  const names = new Set(profile.architectures.map((item) => item.value));
  for (const entry of profile.archMap) {
    names.add(entry.architecture);
    for (const sub of entry.subArchitectures) names.add(sub);
  }
  return [...names];
}

/**
 * Architectures a filter covers on a machine: the native one always (libseccomp adds it), and the
 * listed ones that the machine's kernel can run. With archMap, as Docker does, only the entry of
 * the native architecture and its subarchitectures count.
 */
export function filterArches(profile: SeccompProfile, machine: string): ArchInfo[] {
  const native = NATIVE_ARCHES[machine];
  if (native === undefined) throw new Error(`no architecture table for machine ${machine}`);
  const runnable = new Set([native.native, ...native.compat]);
  let listed: string[] = profile.architectures.map((item) => item.value);
  if (listed.length === 0) {
    const entry = profile.archMap.find((item) => item.architecture === native.native);
    if (entry !== undefined) listed = [entry.architecture, ...entry.subArchitectures];
  }
  const names = [native.native, ...listed.filter((name) => runnable.has(name) && name !== native.native)];
  return [...new Set(names)].map((name) => ARCHES[name] as ArchInfo);
}

function kernelAtLeast(kernel: [number, number], minimum: string): boolean {
  const [major, minor] = minimum.split('.').map(Number) as [number, number];
  return kernel[0] > major || (kernel[0] === major && kernel[1] >= minor);
}

function filterMatches(filter: RuleFilter, arch: string, environment: RuleEnvironment, including: boolean): boolean {
  if (including) {
    if (filter.arches.length > 0 && !filter.arches.includes(arch)) return false;
    if (!filter.caps.every((cap) => environment.caps.has(cap))) return false;
    if (filter.minKernel !== undefined && environment.kernel !== undefined && !kernelAtLeast(environment.kernel, filter.minKernel)) return false;
    return true;
  }
  if (filter.arches.includes(arch)) return true;
  if (filter.caps.some((cap) => environment.caps.has(cap))) return true;
  if (filter.minKernel !== undefined && (environment.kernel === undefined || kernelAtLeast(environment.kernel, filter.minKernel))) return true;
  return false;
}

/** Checks whether a rule takes part in the filter for `arch` in this environment. */
export function ruleApplies(rule: SeccompRule, arch: string, environment: RuleEnvironment): boolean {
  return filterMatches(rule.includes, arch, environment, true) && !filterMatches(rule.excludes, arch, environment, false);
}

export function defaultErrno(profile: SeccompProfile): number {
  return profile.defaultErrnoRet ?? DEFAULT_ERRNO;
}

/** Entries per system call number on one architecture, in profile order; names the table lacks are left out. */
export function entriesByNumber(profile: SeccompProfile, arch: ArchInfo, environment: RuleEnvironment): Map<number, Entry[]> {
  const result = new Map<number, Entry[]>();
  for (const rule of profile.syscalls) {
    if (!ruleApplies(rule, arch.name, environment)) continue;
    for (const name of new Set(rule.names.map((item) => item.value))) {
      const number = syscallNumber(arch, name);
      if (number === undefined) continue;
      const list = result.get(number) ?? [];
      list.push({ rule, action: rule.action, errno: rule.errnoRet ?? DEFAULT_ERRNO, args: rule.args });
      result.set(number, list);
    }
  }
  return result;
}

/** Entries for one system call name on one architecture. */
export function entriesFor(profile: SeccompProfile, arch: string, name: string, environment: RuleEnvironment): Entry[] {
  return profile.syscalls
    .filter((rule) => ruleApplies(rule, arch, environment) && rule.names.some((item) => item.value === name))
    .map((rule) => ({ rule, action: rule.action, errno: rule.errnoRet ?? DEFAULT_ERRNO, args: rule.args }));
}

/**
 * Classifies how a profile treats one call, ignoring argument values: `always` when every call runs,
 * `sometimes` when some argument values run, `never` when none do.
 */
export function allowance(profile: SeccompProfile, entries: Entry[]): 'always' | 'sometimes' | 'never' {
  const unconditional = entries.findIndex((entry) => entry.args.length === 0);
  const conditional = unconditional === -1 ? entries : entries.slice(0, unconditional);
  const fallback = unconditional === -1 ? profile.defaultAction : (entries[unconditional] as Entry).action;
  if (ALLOW_ACTIONS.has(fallback)) return conditional.some((entry) => !ALLOW_ACTIONS.has(entry.action)) ? 'sometimes' : 'always';
  return conditional.some((entry) => ALLOW_ACTIONS.has(entry.action)) ? 'sometimes' : 'never';
}

/** Returns the action and errno for a call that matches no argument condition. */
export function unconditionalAction(profile: SeccompProfile, entries: Entry[]): { action: string; errno: number } {
  const entry = entries.find((item) => item.args.length === 0);
  if (entry !== undefined) return { action: entry.action, errno: entry.errno };
  return { action: profile.defaultAction, errno: defaultErrno(profile) };
}
