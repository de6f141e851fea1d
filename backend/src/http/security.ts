// Security headers and request body limits, installed once by createApp.
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Body size limits per route type. JSON only: other content types are never parsed, so a
 * cross-site form post (urlencoded, text/plain) reaches a route with no body and fails
 * validation. A feature that needs more declares `bodyLimit` on its router.
 */
export const BODY_LIMITS = {
  /** login, tokens: a username and a password are tiny */
  auth: '8kb',
  /** every other API route unless its router asks for more */
  api: '1mb',
} as const;

export const jsonBody = (limit: string): RequestHandler => express.json({ limit, strict: true });

/**
 * helmet with a CSP under which MapLibre and deck.gl run from our own origin: MapLibre
 * starts its workers from blob: URLs, decodes images into blob:/data: URLs, and the live
 * stream is a WebSocket to this host. No external origin appears anywhere (offline first).
 * upgrade-insecure-requests is off: closed command-center networks often serve plain http.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        // wasm-unsafe-eval lets WebAssembly compile (no JS eval); MapLibre/deck.gl need no eval.
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        workerSrc: ["'self'", 'blob:'],
        childSrc: ["'self'", 'blob:'],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        // MapLibre and React set element styles; inline style tags come from the bundler.
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'", 'ws:', 'wss:', 'blob:', 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    // Cross-origin isolation would block nothing we load but breaks nothing either; keep it off
    // so a wall display can embed images from the same host served by a reverse proxy.
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' },
  });
}
