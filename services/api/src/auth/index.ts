export {
  API_ROLES,
  type ApiKeyInfo,
  createApiKey,
  findApiKey,
  hasActiveApiKeys,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
} from './api-key.repository.js';
export { type Authenticator, type AuthResult, createAuthenticator, isLoopback } from './authenticator.js';
export { OPEN_PRINCIPAL, type Principal } from './principal.js';
