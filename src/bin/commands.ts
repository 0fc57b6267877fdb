// Every lbx command by id, for oclif's explicit command strategy in the single executable (no directory to scan there).
// test/unit/command-map.test.ts keeps this in step with src/commands/**. Aliases (status's `ps`) come from each class's static aliases.
import type { Command } from '@oclif/core';

import AddCommand from '../commands/add.js';
import BenchCommand from '../commands/bench.js';
import ChaosCommand from '../commands/chaos.js';
import DownCommand from '../commands/down.js';
import FaultCommand from '../commands/fault.js';
import HelpCommand from '../commands/help.js';
import KillCommand from '../commands/kill.js';
import LogsCommand from '../commands/logs.js';
import PolicyCommand from '../commands/policy.js';
import ReportCommand from '../commands/report.js';
import RingCommand from '../commands/ring.js';
import RmCommand from '../commands/rm.js';
import ScaleCommand from '../commands/scale.js';
import SendCommand from '../commands/send.js';
import SimCommand from '../commands/sim.js';
import ServeBackendCommand from '../commands/serve/backend.js';
import ServeBackendHostCommand from '../commands/serve/backend-host.js';
import ServeDataPlaneCommand from '../commands/serve/dataplane.js';
import ServeGuardCommand from '../commands/serve/guard.js';
import ServeLbCommand from '../commands/serve/lb.js';
import ServeRegistryCommand from '../commands/serve/registry.js';
import ServeSupervisorCommand from '../commands/serve/supervisor.js';
import StartCommand from '../commands/start.js';
import StatusCommand from '../commands/status.js';
import TopCommand from '../commands/top.js';
import UpCommand from '../commands/up.js';
import VersionCommand from '../commands/version.js';
import XdsBootstrapCommand from '../commands/xds/bootstrap.js';

export const COMMANDS: Readonly<Record<string, Command.Class>> = {
  add: AddCommand,
  bench: BenchCommand,
  chaos: ChaosCommand,
  down: DownCommand,
  help: HelpCommand,
  fault: FaultCommand,
  kill: KillCommand,
  logs: LogsCommand,
  policy: PolicyCommand,
  report: ReportCommand,
  ring: RingCommand,
  rm: RmCommand,
  scale: ScaleCommand,
  send: SendCommand,
  sim: SimCommand,
  'serve:backend': ServeBackendCommand,
  'serve:backend-host': ServeBackendHostCommand,
  'serve:dataplane': ServeDataPlaneCommand,
  'serve:guard': ServeGuardCommand,
  'serve:lb': ServeLbCommand,
  'serve:registry': ServeRegistryCommand,
  'serve:supervisor': ServeSupervisorCommand,
  start: StartCommand,
  status: StatusCommand,
  top: TopCommand,
  up: UpCommand,
  version: VersionCommand,
  'xds:bootstrap': XdsBootstrapCommand,
};
