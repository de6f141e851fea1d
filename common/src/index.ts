export * from './event.ts';
export * from './bus.ts';
export * from './gb26875/codes.ts';
export * from './units.ts';
export * from './onboarding.ts';
export * from './access.ts';
export * from './live.ts';
