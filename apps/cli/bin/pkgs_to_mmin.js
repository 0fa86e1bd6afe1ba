#!/usr/bin/env node
import { run } from '../dist/run.js';

run('pkgs_to_mmin');
