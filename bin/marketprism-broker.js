#!/usr/bin/env node
import { main } from '../build/src/broker/main.js';

await main(process.argv.slice(2));
