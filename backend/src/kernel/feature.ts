// The contract between the composition root (main.ts) and each feature: what a feature
// is given (FeatureContext) and what it hands back (routers to mount, work to start and stop).
import type { Server } from 'node:http';
import type { EventBus } from '@firelink/common';
import type { Router } from 'express';
import type { Config } from './config.ts';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from '../metrics.ts';

export interface FeatureContext {
  config: Config;
  /** The database the pool connects to (a feature that runs work on another thread opens its own pool). */
  databaseUrl: string;
  pool: pg.Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  http: Server;
  /** Committed, enriched events: ingest publishes, the pipeline subscribes. */
  bus: EventBus;
}

/** A capability plugged into the server: routers to mount, work to start and stop. */
export interface Feature {
  name: string;
  /**
   * bodyLimit: JSON body size limit for this router (default BODY_LIMITS.api, 1mb);
   * bodyLimitPaths: the routes (Express paths relative to `path`) it applies to, unset = all.
   */
  routers?: Array<{ path: string; router: Router; bodyLimit?: string; bodyLimitPaths?: string[] }>;
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
}

export type FeatureFactory = (ctx: FeatureContext) => Feature | Promise<Feature>;
