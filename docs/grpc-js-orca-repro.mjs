// Reproduces a grpc-js 1.14 ORCA defect for an upstream report: loadOrcaProto() never caches what it loads
// (`const loadedOrcaProto = null` in build/src/orca.js), so every ORCA client, every ServerMetricRecorder added
// to a server and every per-call report read parses orca.proto again with proto-loader.
//
// Run from the lbx repository (it has @grpc/grpc-js installed): node docs/grpc-js-orca-repro.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const orca = require('@grpc/grpc-js/build/src/orca.js');
const { version } = require('@grpc/grpc-js/package.json');

const channel = new grpc.Channel('127.0.0.1:1', grpc.credentials.createInsecure(), {});
const timeEach = (count, make) => {
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) make();
  return Number(process.hrtime.bigint() - started) / 1e6 / count;
};
// Warm both paths so the module cache and JIT are not what is measured.
timeEach(3, () => orca.createOrcaClient(channel));
const perClientMs = timeEach(50, () => orca.createOrcaClient(channel));
const Cached = orca.createOrcaClient(channel).constructor;
const cachedMs = timeEach(50, () => new Cached('unused', grpc.credentials.createInsecure(), { channelOverride: channel }));
console.log(`@grpc/grpc-js ${version}`);
console.log(`createOrcaClient: ${perClientMs.toFixed(2)} ms each (the proto is parsed every time)`);
console.log(`the same client class, reused: ${cachedMs.toFixed(3)} ms each`);
console.log(`ratio: ${(perClientMs / cachedMs).toFixed(0)}×`);
channel.close();
