// Types of file-times.mjs (plain JavaScript: node loads test reporters before TypeScript).
export declare const TIMES_FILE: string;
export declare function readTimes(root: string): Record<string, number>;
declare function fileTimes(source: AsyncIterable<unknown>): AsyncGenerator<string>;
export default fileTimes;
