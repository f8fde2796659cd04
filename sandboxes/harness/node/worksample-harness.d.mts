// Types for hidden tests written in TypeScript: every export of a subject module is an async function.
export declare class SubjectError extends Error {}

export type SubjectModule = Record<string, (...args: any[]) => Promise<any>>;

export declare function subject(modulePath: string, opts?: { timeoutMs?: number }): SubjectModule;

export declare function loadSubject(
  modulePath: string,
  opts?: { timeoutMs?: number },
): Promise<Record<string, any>>;
