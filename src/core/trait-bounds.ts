// The bounds of a backend's speed and weight, the same at every door: up, add, the backend role, the LB, the registry meta.

/** The slowest speed: a task then costs 100x, still bounded (MAX_WORK_UNITS caps the request). */
export const MIN_SPEED = 0.01;
export const MAX_SPEED = 100;
/**
 * The lightest weight. Weighted policies divide by it ((in flight + 1) / weight); a weight near
 * zero (5e-324 is "above 0") would make that Infinity and the backend unpickable by accident.
 */
export const MIN_WEIGHT = 0.001;
export const MAX_WEIGHT = 1_000;
