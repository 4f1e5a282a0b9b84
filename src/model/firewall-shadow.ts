import type { IptablesOption, IptablesRule, TableState } from '../parse/iptables.js';
import { matchesEverything, parsePortRange, ruleEndsChain } from './firewall.js';

/**
 * Shadowed rules: a rule that can never match because an earlier rule of the same chain matches
 * every packet it matches and ends the chain. The test is syntactic and errs on the side of
 * silence: a condition it does not understand makes the earlier rule cover nothing.
 */

export interface ShadowedRule {
  chain: string;
  rule: IptablesRule;
  /** The earlier rule that takes every packet `rule` would match. */
  shadowedBy: IptablesRule;
}

/** Matches whose result depends on earlier packets or chance, so they never match "everything" a later rule does. */
const STATEFUL_MODULES = new Set(['limit', 'hashlimit', 'recent', 'connlimit', 'statistic', 'quota', 'time', 'set']);

/** One condition of a rule, normalised so that equivalent spellings compare equal. */
interface Condition {
  key: string;
  negated: boolean;
  /** For ports: inclusive ranges; for states: the state names; otherwise the raw arguments joined. */
  value: string;
  ranges?: [number, number][];
  states?: Set<string>;
}

function portRanges(values: string[]): [number, number][] | undefined {
  const ranges: [number, number][] = [];
  for (const value of values) {
    const range = parsePortRange(value);
    if (range === undefined) return undefined;
    ranges.push(range);
  }
  return ranges;
}

function optionCondition(module: string | undefined, option: IptablesOption): Condition | undefined {
  const args = option.args;
  const base = { negated: option.negated, value: args.join(' ') };
  switch (option.name) {
    case 'dport':
    case 'sport': {
      const ranges = portRanges([args[0] ?? '']);
      return ranges === undefined ? undefined : { ...base, key: option.name, ranges };
    }
    case 'dports':
    case 'sports':
    case 'ports': {
      const ranges = portRanges((args[0] ?? '').split(','));
      const key = option.name === 'ports' ? 'ports' : option.name.slice(0, -1);
      return ranges === undefined ? undefined : { ...base, key, ranges };
    }
    case 'state':
    case 'ctstate':
      return { ...base, key: 'ctstate', states: new Set((args[0] ?? '').split(',')) };
    default:
      return { ...base, key: `${module ?? 'basic'}:${option.name}` };
  }
}

/** Conditions of a rule, or undefined when it has a match whose result cannot be compared. */
function conditions(rule: IptablesRule): Condition[] | undefined {
  const out: Condition[] = [];
  for (const option of rule.basic) {
    if (option.name === 'protocol' && !option.negated && ['all', '0'].includes((option.args[0] ?? '').toLowerCase())) continue;
    if ((option.name === 'source' || option.name === 'destination') && !option.negated && ['0.0.0.0/0', '0/0', '::/0'].includes(option.args[0] ?? '')) continue;
    const condition = optionCondition(undefined, option);
    if (condition === undefined) return undefined;
    out.push(condition);
  }
  for (const match of rule.matches) {
    if (STATEFUL_MODULES.has(match.module)) return undefined;
    if (match.module === 'comment') continue;
    for (const option of match.options) {
      const condition = optionCondition(match.module, option);
      if (condition === undefined) return undefined;
      out.push(condition);
    }
  }
  return out;
}

function rangesInside(inner: [number, number][], outer: [number, number][]): boolean {
  return inner.every(([low, high]) => outer.some(([from, to]) => low >= from && high <= to));
}

/** Tell whether condition `wide` holds for every packet for which `narrow` holds. */
function implies(narrow: Condition, wide: Condition): boolean {
  if (narrow.key !== wide.key || narrow.negated !== wide.negated) return false;
  if (wide.ranges !== undefined && narrow.ranges !== undefined) {
    return wide.negated ? rangesInside(wide.ranges, narrow.ranges) : rangesInside(narrow.ranges, wide.ranges);
  }
  if (wide.states !== undefined && narrow.states !== undefined) {
    const [small, large] = wide.negated ? [wide.states, narrow.states] : [narrow.states, wide.states];
    return [...small].every((state) => large.has(state));
  }
  return narrow.value === wide.value;
}

/** Tell whether every packet that `later` matches is also matched by `earlier`. */
export function covers(earlier: IptablesRule, later: IptablesRule): boolean {
  const wide = conditions(earlier);
  const narrow = conditions(later);
  if (wide === undefined || narrow === undefined) return false;
  return wide.every((condition) => narrow.some((candidate) => implies(candidate, condition)));
}

/**
 * Find rules shadowed by an earlier, narrower-than-everything rule of the same chain. Rules
 * after an unconditional terminal rule are left to findUnreachableRules.
 */
export function findShadowedRules(table: TableState): ShadowedRule[] {
  const out: ShadowedRule[] = [];
  for (const chain of table.chains.values()) {
    const terminal = chain.rules.filter((rule) => ruleEndsChain(table, rule));
    for (const [index, rule] of chain.rules.entries()) {
      const shadowing = terminal.find((candidate) => chain.rules.indexOf(candidate) < index && covers(candidate, rule));
      if (shadowing === undefined) continue;
      if (matchesEverything(shadowing)) break;
      out.push({ chain: chain.name, rule, shadowedBy: shadowing });
    }
  }
  return out;
}
