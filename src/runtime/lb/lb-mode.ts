// How clients reach backends through the LB: lookaside (they ask the LB, then call the backend) or proxy (the LB forwards).
export const LB_MODES = ['lookaside', 'proxy'] as const;
export type LbMode = (typeof LB_MODES)[number];
