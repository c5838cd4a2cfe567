/**
 * Hostile inputs (issue 16): each attacker of docs/threat-model.md played against the real control
 * plane, the operator as a process and the shipped manifests. One module per trust boundary under
 * `hostile/`; this file only names them, so each boundary's attacks read on their own.
 */
import { celAndGlobAttacks } from './hostile/evaluation.js';
import { evidenceAttacks } from './hostile/evidence.js';
import { listenerAttacks } from './hostile/listeners.js';
import { trafficAttacks } from './hostile/traffic.js';

describe('hostile: nobody Tripline watches can blind, forge, flood or crash it', function () {
  this.timeout(600_000);
  describe('access-log endpoint and traffic windows', trafficAttacks);
  describe('admission webhook, audit receiver and probe listeners', listenerAttacks);
  describe('tenant-written strings in CEL and globs', celAndGlobAttacks);
  describe('alert status and remediation', evidenceAttacks);
});
