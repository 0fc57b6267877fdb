// A backend process that takes ProcessTask calls and never answers them; prints its address, so a test can SIGKILL it mid-call.
import { startGrpcServer } from '../../src/runtime/grpc/grpc-server.js';
import { BackendService } from '../../src/runtime/wire/gen/lbx/v1/backend.js';

const server = await startGrpcServer('127.0.0.1', 0, [
  { name: 'lbx.v1.Backend', definition: BackendService, implementation: { processTask: () => undefined, getLoad: () => undefined } },
]);
console.log(server.address);
// Ends with the test that started it, should that test die first.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
