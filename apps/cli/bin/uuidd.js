#!/usr/bin/env -S node --max-semi-space-size=1
// --max-semi-space-size=1: V8's young generation stays at 1 MB a half instead of growing to 16 MB under load. The
// daemon's garbage is a few short-lived objects per request, so this costs it no throughput and keeps it near 55 MB
// resident rather than 60+ (packages/uuid/bench/uuidd.bench.mjs). The detached daemon is started with it too.
import { run } from '../dist/run.js';

run('uuidd');
