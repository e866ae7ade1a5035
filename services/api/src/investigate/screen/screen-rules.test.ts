import { describe, expect, it } from 'vitest';
import {
  categoryRisk,
  DEFAULT_SCREEN_RULES,
  exposureRisk,
  lower,
  parseScreenRules,
  ScreenRulesError,
  worse,
} from './screen-rules.js';

describe('screening rules', () => {
  it('scores categories by the default table, unknown categories LOW, case-insensitively', () => {
    expect(categoryRisk(DEFAULT_SCREEN_RULES, 'Sanctioned')).toBe('SEVERE');
    expect(categoryRisk(DEFAULT_SCREEN_RULES, 'exchange')).toBe('NONE');
    expect(categoryRisk(DEFAULT_SCREEN_RULES, 'something new')).toBe('LOW');
  });

  it('grades exposure by share, never above the category', () => {
    // 0.25 and 0.05 are the default thresholds; 0 share is no exposure at all.
    expect(exposureRisk(DEFAULT_SCREEN_RULES, 'sanctioned', 0.25)).toBe('HIGH');
    expect(exposureRisk(DEFAULT_SCREEN_RULES, 'sanctioned', 0.2499)).toBe('MEDIUM');
    expect(exposureRisk(DEFAULT_SCREEN_RULES, 'sanctioned', 0.05)).toBe('MEDIUM');
    expect(exposureRisk(DEFAULT_SCREEN_RULES, 'sanctioned', 0.0001)).toBe('LOW');
    expect(exposureRisk(DEFAULT_SCREEN_RULES, 'sanctioned', 0)).toBe('NONE');
    // gambling is MEDIUM itself, so even a full share stays MEDIUM.
    expect(exposureRisk(DEFAULT_SCREEN_RULES, 'gambling', 1)).toBe('MEDIUM');
  });

  it('orders levels', () => {
    expect(worse('LOW', 'SEVERE')).toBe('SEVERE');
    expect(worse('NONE', 'MEDIUM')).toBe('MEDIUM');
    expect(lower('SEVERE', 1)).toBe('HIGH');
    expect(lower('LOW', 3)).toBe('NONE');
  });

  it('reads a rules file over the defaults', () => {
    const rules = parseScreenRules(
      JSON.stringify({
        categories: { Gambling: 'HIGH' },
        exposure: {
          thresholds: [
            { minShare: 0, risk: 'LOW' },
            { minShare: 0.5, risk: 'SEVERE' },
          ],
        },
      }),
    );
    expect(categoryRisk(rules, 'gambling')).toBe('HIGH');
    expect(categoryRisk(rules, 'sanctioned')).toBe('SEVERE');
    // Sorted from the highest share down whatever the file's order.
    expect(rules.exposure.thresholds.map((t) => t.minShare)).toEqual([0.5, 0]);
    expect(exposureRisk(rules, 'sanctioned', 0.6)).toBe('SEVERE');
    expect(exposureRisk(rules, 'sanctioned', 0.4)).toBe('LOW');
    expect(rules.clusterTagDowngrade).toBe(1);
    const replaced = parseScreenRules(
      JSON.stringify({ categories: { exchange: 'LOW' }, replaceCategories: true }),
    );
    expect(categoryRisk(replaced, 'sanctioned')).toBe('LOW');
  });

  it('refuses a file that does not fit, naming each problem', () => {
    expect(() => parseScreenRules('{')).toThrow(ScreenRulesError);
    expect(() =>
      parseScreenRules(JSON.stringify({ categories: { x: 'PURPLE' }, clusterTagDowngrade: -1, extra: 1 })),
    ).toThrow(/categories\.x: .*clusterTagDowngrade: .*\(top\): .*extra/s);
  });
});
