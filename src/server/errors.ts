import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError, type StoreErrorKind } from '../store/index.ts';

/** An error whose message is meant for the client, with its HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** 503 with Retry-After: the server is at a limit it keeps on purpose; the same request will do later. */
export class BusyError extends HttpError {
  constructor(message: string) {
    super(503, message);
    this.name = 'BusyError';
  }
}

const STATUS_OF_KIND: Record<StoreErrorKind, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media': 415,
  undecodable: 422,
  busy: 503,
};

export interface ErrorMessages {
  /** Shown for an upload above the multipart file size limit. */
  uploadTooLarge: string;
}

/**
 * Every failure becomes `{ error: message }`: our own errors and Fastify's 4xx errors keep their
 * message, anything else is logged and answered with a generic 500 (never a stack trace).
 */
export function createErrorHandler(messages: ErrorMessages) {
  return function handleError(error: FastifyError | HttpError | StoreError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (error instanceof StoreError) {
      if (error.kind === 'busy') reply.header('retry-after', '1');
      return reply.code(STATUS_OF_KIND[error.kind]).send({ error: error.message });
    }
    if (error instanceof HttpError) {
      if (error instanceof BusyError) reply.header('retry-after', '1');
      else if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(error.statusCode).send({ error: error.message });
    }
    if ('validation' in error && error.validation) return reply.code(400).send({ error: error.message });
    if (error.code === 'FST_REQ_FILE_TOO_LARGE') return reply.code(413).send({ error: messages.uploadTooLarge });
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'Internal server error' });
  };
}
