// The registry service names lbx components register under.

/** The look-aside load balancer; clients resolve it here. */
export const LB_SERVICE = 'lbx-lb';
/** Every backend; the LB watches this service's passing set. */
export const BACKEND_SERVICE = 'lbx-backend';
