export * from './event.ts';
export * from './bus.ts';
