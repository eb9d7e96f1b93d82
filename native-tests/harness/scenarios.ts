// One scenario factory per test file: every Scenario it makes is cleaned up after its test.
import { afterEach } from 'vitest';
import { Scenario, type Mode } from './overlay.js';

/** Returns `scenario(mode, lowers)`, registering cleanup of each scenario after the test that made it. */
export function useScenarios(): (mode: Mode, lowers?: number) => Scenario {
  const made: Scenario[] = [];
  afterEach(() => {
    for (const s of made.splice(0)) s.cleanup();
  });
  return (mode, lowers = 1) => {
    const s = new Scenario(mode, lowers);
    made.push(s);
    return s;
  };
}
