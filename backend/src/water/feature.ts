// The water-source feature: /api/water (nearest by road, the layer, status changes).
import type { FeatureFactory } from '../kernel/feature.ts';
import { waterRouter } from './routes.ts';

export const waterFeature: FeatureFactory = (ctx) => ({
  name: 'water',
  routers: [{ path: '/api/water', router: waterRouter(ctx.pool) }],
});
