import { text } from '../../core/text.js';
import type { Evaluator } from '../context.js';
import { notApplicable } from '../types.js';

export const evaluateAuditWatch: Evaluator<'audit-watch'> = () => notApplicable(text('pending', 'pending'));
export const evaluateAuditSyscall: Evaluator<'audit-syscall'> = () => notApplicable(text('pending', 'pending'));
