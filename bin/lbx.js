#!/usr/bin/env node
// Entry point of the lbx command line: every command and every cluster role runs through here.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
