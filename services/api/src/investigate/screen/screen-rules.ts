import { readFileSync } from 'node:fs';
import { NonRetryableError } from '@minetrace/shared/errors';
import { z } from 'zod';

/** Screening's verdict levels, worst first. */
export const RISK_LEVELS = ['SEVERE', 'HIGH', 'MEDIUM', 'LOW', 'NONE'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** A rules file that cannot be read or does not fit the rules' shape. */
export class ScreenRulesError extends NonRetryableError {
  override name = 'ScreenRulesError';
}

/**
 * How screening scores an address (docs/screening.md). Every reason gets a level; the address's risk
 * is the worst of them.
 */
export interface ScreenRules {
  /** Level of a tag category (lowercase) when the address itself carries it (DIRECT_TAG). */
  categories: Readonly<Record<string, RiskLevel>>;
  /** Level of a category not in `categories`. */
  defaultCategoryRisk: RiskLevel;
  /**
   * Levels a tag loses when only another member of the address's cluster carries it (CLUSTER_TAG):
   * the common-input rule can join owners wrongly. A tag whose source vouches for the whole cluster
   * (`is_cluster_definer`) loses none.
   */
  clusterTagDowngrade: number;
  /**
   * INDIRECT_EXPOSURE: funds received within `SCREEN_MAX_HOPS` transactions from an address tagged
   * with a category of at least `minCategoryRisk`, by haircut share. The level is the first
   * threshold the share reaches (thresholds from the highest share down), never above the category's.
   */
  exposure: {
    minCategoryRisk: RiskLevel;
    thresholds: ReadonlyArray<{ minShare: number; risk: RiskLevel }>;
  };
  /** Level of an address that received pool payouts (and nothing else of note). */
  miningPayoutsRisk: RiskLevel;
  /** Level of an address never seen on the indexed chain (and not tagged). */
  unknownAddressRisk: RiskLevel;
}

export const DEFAULT_SCREEN_RULES: ScreenRules = Object.freeze({
  categories: Object.freeze({
    sanctioned: 'SEVERE',
    terrorism: 'SEVERE',
    'child abuse': 'SEVERE',
    ransomware: 'HIGH',
    scam: 'HIGH',
    theft: 'HIGH',
    hack: 'HIGH',
    perpetrator: 'HIGH',
    darknet: 'HIGH',
    market: 'HIGH',
    mixer: 'HIGH',
    mixing_service: 'HIGH',
    gambling: 'MEDIUM',
    exchange: 'NONE',
    miner: 'NONE',
    mining_service: 'NONE',
    service: 'NONE',
    wallet_service: 'NONE',
  } satisfies Record<string, RiskLevel>),
  defaultCategoryRisk: 'LOW',
  clusterTagDowngrade: 1,
  exposure: Object.freeze({
    minCategoryRisk: 'HIGH',
    thresholds: Object.freeze([
      { minShare: 0.25, risk: 'HIGH' },
      { minShare: 0.05, risk: 'MEDIUM' },
      { minShare: 0, risk: 'LOW' },
    ] as const),
  }),
  miningPayoutsRisk: 'NONE',
  unknownAddressRisk: 'NONE',
}) as ScreenRules;

const level = z.enum(RISK_LEVELS);

/** A rules file: any subset of `ScreenRules`; what it leaves out keeps the default. */
const rulesFile = z
  .object({
    categories: z.record(z.string().min(1), level).optional(),
    /** true: the file's categories replace the default table instead of adding to it. */
    replaceCategories: z.boolean().optional(),
    defaultCategoryRisk: level.optional(),
    clusterTagDowngrade: z.number().int().min(0).max(4).optional(),
    exposure: z
      .object({
        minCategoryRisk: level.optional(),
        thresholds: z
          .array(z.object({ minShare: z.number().min(0).max(1), risk: level }).strict())
          .min(1)
          .optional(),
      })
      .strict()
      .optional(),
    miningPayoutsRisk: level.optional(),
    unknownAddressRisk: level.optional(),
  })
  .strict();

/** The rules a JSON text describes, over the defaults. Throws `ScreenRulesError` naming each problem. */
export function parseScreenRules(text: string, origin = 'screening rules'): ScreenRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScreenRulesError(`${origin}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = rulesFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
    throw new ScreenRulesError(`${origin}: ${problems.join('; ')}`);
  }
  const file = parsed.data;
  const categories = Object.fromEntries(
    Object.entries(file.categories ?? {}).map(([name, risk]) => [name.toLowerCase(), risk]),
  );
  const thresholds = [...(file.exposure?.thresholds ?? DEFAULT_SCREEN_RULES.exposure.thresholds)].sort(
    (a, b) => b.minShare - a.minShare,
  );
  return Object.freeze({
    categories: Object.freeze(
      file.replaceCategories ? categories : { ...DEFAULT_SCREEN_RULES.categories, ...categories },
    ),
    defaultCategoryRisk: file.defaultCategoryRisk ?? DEFAULT_SCREEN_RULES.defaultCategoryRisk,
    clusterTagDowngrade: file.clusterTagDowngrade ?? DEFAULT_SCREEN_RULES.clusterTagDowngrade,
    exposure: Object.freeze({
      minCategoryRisk: file.exposure?.minCategoryRisk ?? DEFAULT_SCREEN_RULES.exposure.minCategoryRisk,
      thresholds: Object.freeze(thresholds),
    }),
    miningPayoutsRisk: file.miningPayoutsRisk ?? DEFAULT_SCREEN_RULES.miningPayoutsRisk,
    unknownAddressRisk: file.unknownAddressRisk ?? DEFAULT_SCREEN_RULES.unknownAddressRisk,
  });
}

/** The rules of `SCREEN_RULES_FILE`, or the defaults when it is unset. */
export function loadScreenRules(file: string | undefined): ScreenRules {
  if (file === undefined) return DEFAULT_SCREEN_RULES;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScreenRulesError(`SCREEN_RULES_FILE ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseScreenRules(text, `SCREEN_RULES_FILE ${file}`);
}

const rank = (risk: RiskLevel) => RISK_LEVELS.indexOf(risk);

/** The worse of two levels. */
export const worse = (a: RiskLevel, b: RiskLevel): RiskLevel => (rank(a) <= rank(b) ? a : b);

/** `risk` lowered by `steps` levels, never below NONE. */
export const lower = (risk: RiskLevel, steps: number): RiskLevel =>
  RISK_LEVELS[Math.min(rank(risk) + steps, RISK_LEVELS.length - 1)]!;

/** True when `risk` is at least as bad as `floor`. */
export const atLeast = (risk: RiskLevel, floor: RiskLevel): boolean => rank(risk) <= rank(floor);

export function categoryRisk(rules: ScreenRules, category: string): RiskLevel {
  return rules.categories[category.toLowerCase()] ?? rules.defaultCategoryRisk;
}

/** The level of an exposure of `share` (0..1) to a tag of `category`. */
export function exposureRisk(rules: ScreenRules, category: string, share: number): RiskLevel {
  const cap = categoryRisk(rules, category);
  const threshold = rules.exposure.thresholds.find((t) => share >= t.minShare && share > 0);
  return threshold === undefined ? 'NONE' : atLeast(cap, threshold.risk) ? threshold.risk : cap;
}

/** What screening runs with: its rules and how far back the exposure walk goes. */
export interface ScreenSettings {
  rules: ScreenRules;
  /** `SCREEN_MAX_HOPS`. */
  maxHops: number;
}

export const DEFAULT_SCREEN_SETTINGS: ScreenSettings = Object.freeze({
  rules: DEFAULT_SCREEN_RULES,
  maxHops: 3,
});
