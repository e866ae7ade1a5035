export { type ExposureResult, type Ratio, walkExposure } from './exposure-walk.js';
export {
  MAX_SCREEN_ADDRESSES,
  type ScreenOptions,
  type ScreenReason,
  type ScreenReasonKind,
  type ScreenResult,
  type ScreenTag,
  screenAddresses,
  screenResultToJson,
} from './screen.js';
export {
  DEFAULT_SCREEN_RULES,
  DEFAULT_SCREEN_SETTINGS,
  loadScreenRules,
  parseScreenRules,
  RISK_LEVELS,
  type RiskLevel,
  type ScreenRules,
  ScreenRulesError,
  type ScreenSettings,
} from './screen-rules.js';
