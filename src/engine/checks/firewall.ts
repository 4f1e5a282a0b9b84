import { text } from '../../core/text.js';
import type { Evaluator } from '../context.js';
import { notApplicable } from '../types.js';

export const evaluateFirewall: Evaluator<'firewall'> = () => notApplicable(text('pending', 'pending'));
export const evaluateListeningPorts: Evaluator<'listening-ports'> = () => notApplicable(text('pending', 'pending'));
