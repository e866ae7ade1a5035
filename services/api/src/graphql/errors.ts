import { GraphQLError } from 'graphql';

/**
 * The `extensions.code` values clients may rely on. Anything unexpected is masked as
 * `INTERNAL_SERVER_ERROR` without its message or stack.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'COST_LIMIT',
  'RATE_LIMITED',
  'NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A GraphQL error with a stable code (and optional extra extensions, e.g. the computed cost). */
export function apiError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badInput = (message: string, extensions?: Record<string, unknown>) =>
  apiError('BAD_USER_INPUT', message, extensions);
export const notFound = (message: string) => apiError('NOT_FOUND', message);
