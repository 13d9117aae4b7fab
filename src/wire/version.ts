// The version string written to /ctl/node/<id>/version. Peers use its prefix
// to recognise nodes of this implementation.
export const VERSION_PREFIX = 'doozerd-ts';
export const VERSION = `${VERSION_PREFIX}-0.1.0`;
