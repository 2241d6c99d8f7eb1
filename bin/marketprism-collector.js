#!/usr/bin/env node
import { main } from '../build/src/collector/main.js';

await main(process.argv.slice(2));
