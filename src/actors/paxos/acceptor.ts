// Acceptor of one instance (spec/consensus.md, "Roles inside one instance").
//
// State: rnd (highest round promised), vrnd and vval (last vote; vrnd 0 means
// no vote). It must never forget a promise or a vote while the process lives.
//
//   INVITE(crnd) with crnd > rnd            -> rnd = crnd, reply RSVP(crnd, vrnd, vval)
//   NOMINATE(crnd, v) with crnd >= rnd and crnd != vrnd
//                                           -> rnd = vrnd = crnd, vval = v, broadcast VOTE(vrnd, v)
//
// Pure: returns what to do; the instance builds and routes the messages.

import { EMPTY } from './types.js';

export class Acceptor {
  rnd = 0;
  vrnd = 0;
  vval: Uint8Array = EMPTY;

  /** INVITE(crnd). True when a promise was made: reply RSVP(crnd, this.vrnd, this.vval). */
  invite(crnd: number): boolean {
    if (crnd > this.rnd) {
      this.rnd = crnd;
      return true;
    }
    return false;
  }

  /** NOMINATE(crnd, v). True when voted: broadcast VOTE(crnd, v). */
  nominate(crnd: number, v: Uint8Array): boolean {
    if (crnd >= this.rnd && crnd !== this.vrnd) {
      this.rnd = crnd;
      this.vrnd = crnd;
      this.vval = v;
      return true;
    }
    return false;
  }
}
