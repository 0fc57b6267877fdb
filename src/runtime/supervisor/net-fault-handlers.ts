// The control API's network-fault calls (`lbx fault --net-*`, `up --netns`): checked, then applied by the supervisor.
import type { sendUnaryData } from '@grpc/grpc-js';

import { checkNetFault } from '../../core/faults/net-fault.js';
import { invalidArgument } from '../grpc/status-errors.js';
import { netFaultFromWire, netFaultStateToWire } from '../netns/net-fault-wire.js';
import type { SupervisorServer } from '../wire/gen/lbx/v1/supervisor.js';
import type { Supervisor } from './supervisor.js';

type Answer = <T>(outcome: Promise<T>, callback: sendUnaryData<T>) => void;

export function netFaultHandlers(supervisor: Supervisor, answer: Answer): Pick<SupervisorServer, 'setNetFault' | 'listNetFaults'> {
  return {
    setNetFault: (call, callback) => {
      const fault = netFaultFromWire(call.request.fault);
      const problem = checkNetFault(fault);
      if (problem !== '') return callback(invalidArgument(`network fault refused: ${problem}`));
      answer(
        Promise.resolve().then(() => netFaultStateToWire(supervisor.setNetFault(call.request.port, fault))),
        callback,
      );
    },
    listNetFaults: (_call, callback) =>
      answer(
        Promise.resolve().then(() => ({ faults: supervisor.listNetFaults().map(netFaultStateToWire) })),
        callback,
      ),
  };
}
